//! The keys of a guest's config table, declared in its component for the host to check.

/// Declares the keys of the guest's config table and what each holds, as a custom section
/// of the component (`switchyard-config`, one `key kind` line each). The host reads it when it
/// loads the guest: a key the guest does not declare, or a value not of its kind, is a
/// config error naming the key, and the guest is not loaded. A guest that declares nothing
/// gets its table unchecked.
///
/// Kinds: `flag` (`true`, `false`, `yes`, `no`, `1` or `0`), `number` (a whole number from 0
/// to 4294967295), `regex` (a regular expression in `regex-lite`'s syntax; empty matches
/// everything), `text` (anything), `addresses` (IP addresses separated by commas; empty: none).
///
/// ```text
/// switchyard_sdk::config_keys! {
///     "private_rooms": flag,
///     "max_room_attempts": number,
///     "direct_room_re": regex,
///     "participant_id_header": text,
/// }
/// ```
#[macro_export]
macro_rules! config_keys {
    ($($key:literal : $kind:ident),* $(,)?) => {
        const _: () = {
            const TEXT: &str = concat!($($key, " ", stringify!($kind), "\n"),*);
            // A custom section is data for the host, not code: nothing here is unsafe
            // but the attribute's name. Only a component has one: Mach-O takes no
            // section name but `segment,section`, so a guest's native unit tests
            // build on macOS only without it (the keys are still checked here).
            #[allow(unsafe_code)]
            #[cfg_attr(target_arch = "wasm32", unsafe(link_section = "switchyard-config"))]
            #[used]
            static KEYS: [u8; TEXT.len()] = $crate::config_section::<{ TEXT.len() }>(TEXT);
        };
    };
}

/// `text`'s bytes as an array of its length, for [`config_keys!`].
#[doc(hidden)]
pub const fn config_section<const N: usize>(text: &str) -> [u8; N] {
    let bytes = text.as_bytes();
    let mut section = [0; N];
    let mut at = 0;
    while at < N {
        section[at] = bytes[at];
        at += 1;
    }
    section
}

#[cfg(test)]
mod tests {
    crate::config_keys! {
        "time_limit_s": number,
        "greeting": text,
    }

    #[test]
    fn the_section_holds_one_key_kind_line_per_key() {
        const TEXT: &str = "time_limit_s number\ngreeting text\n";
        assert_eq!(
            crate::config_section::<{ TEXT.len() }>(TEXT),
            *TEXT.as_bytes()
        );
    }

    /// The names of the sections of a 64-bit little-endian ELF file.
    #[cfg(all(
        target_os = "linux",
        target_pointer_width = "64",
        target_endian = "little"
    ))]
    fn elf_section_names(elf: &[u8]) -> Vec<String> {
        let u16_at = |at: usize| usize::from(u16::from_le_bytes([elf[at], elf[at + 1]]));
        let u32_at = |at: usize| u32::from_le_bytes(elf[at..at + 4].try_into().unwrap()) as usize;
        let u64_at = |at: usize| u64::from_le_bytes(elf[at..at + 8].try_into().unwrap()) as usize;
        assert_eq!(&elf[..4], b"\x7fELF");
        let (headers, size, count) = (u64_at(0x28), u16_at(0x3a), u16_at(0x3c));
        let names = u64_at(headers + u16_at(0x3e) * size + 0x18);
        (0..count)
            .map(|n| {
                let name = &elf[names + u32_at(headers + n * size)..];
                let end = name.iter().position(|&b| b == 0).unwrap();
                String::from_utf8_lossy(&name[..end]).into_owned()
            })
            .collect()
    }

    // The macro above runs in this test binary: off wasm32 it puts no section
    // into it, as none could be named on every native target.
    #[cfg(all(
        target_os = "linux",
        target_pointer_width = "64",
        target_endian = "little"
    ))]
    #[test]
    fn a_native_build_has_no_config_section() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        let names = elf_section_names(&exe);
        assert!(names.iter().any(|name| name == ".text"), "{names:?}");
        assert!(
            !names.iter().any(|name| name == "switchyard-config"),
            "expected no switchyard-config section in a native build: {names:?}"
        );
    }
}
