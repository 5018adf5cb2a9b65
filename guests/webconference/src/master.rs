//! The master password that `getRoomPassword` and `listRooms` require.

/// Whether `given` is the configured master password. `configured` is `None`
/// when none is set: then those functions do not exist, and nothing matches.
/// The comparison takes as long for every wrong password of a given length,
/// so timing does not reveal how much of one was right.
pub fn accepts(configured: Option<&str>, given: &str) -> bool {
    let Some(configured) = configured.filter(|c| !c.is_empty()) else {
        return false;
    };
    let (a, b) = (configured.as_bytes(), given.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |diff, (x, y)| diff | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_password_is_accepted() {
        assert!(accepts(Some("s3cret"), "s3cret"));
        assert!(!accepts(Some("s3cret"), "s3creT"));
        assert!(!accepts(Some("s3cret"), "s3cre"));
        assert!(!accepts(Some("s3cret"), ""));
    }

    #[test]
    fn no_or_an_empty_password_accepts_nothing() {
        assert!(!accepts(None, ""));
        assert!(!accepts(Some(""), ""));
    }
}
