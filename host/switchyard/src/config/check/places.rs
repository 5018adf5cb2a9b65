//! The checks of what the configuration names on this host: its addresses and ports, its
//! files and directories.

use std::net::{IpAddr, Ipv6Addr, SocketAddr};
use std::path::{Path, PathBuf};

use super::{Checked, guest_key};
use crate::config::error::writes;
use crate::config::{Config, KeyPath, dir_of};

impl Config {
    /// `sip.listen`, `sip.tls_listen` and `control.listen`: SIP listens somewhere, on no
    /// IPv4-mapped IPv6 address, and each given (not wildcard) address is one of this host's.
    pub(super) fn check_listeners(&self) -> Checked {
        let sip = KeyPath::from(["sip", "listen"]);
        if self.sip.listen.is_empty() {
            return Err((sip, "needs at least one address".to_owned()));
        }
        self.check_sip_not_mapped()?;
        // A wildcard serves whichever families the host has; a given address must be one
        // of its own, or the start would fail on it.
        let specific = self.sip.listen.iter().map(|a| (&sip, *a));
        let tls = KeyPath::from(["sip", "tls_listen"]);
        let specific = specific.chain(self.sip.tls_listen.iter().map(|a| (&tls, *a)));
        let control = KeyPath::from(["control", "listen"]);
        for (key, addr) in specific.chain([(&control, self.control.listen)]) {
            if !addr.ip().is_unspecified()
                && let Err(e) = of_this_host(addr)
            {
                return Err((
                    key.clone(),
                    format!("{addr} is no address of this host: {e}"),
                ));
            }
        }
        Ok(())
    }

    /// The directories and files of `[media]`, `[records]`, `[recording]`, `[rooms]` and
    /// `[guest_cache]`: each exists (or, the cache's, can be made), the prompts' headers are
    /// ones the server decodes, and the server may write where it writes.
    pub(super) fn check_files(&self) -> Checked {
        let prompts_dir = KeyPath::from(["media", "prompts_dir"]);
        let stats_dir = KeyPath::from(["records", "stats_dir"]);
        let recording_dir = KeyPath::from(["recording", "dir"]);
        let state_file = KeyPath::from(["rooms", "state_file"]);
        for (key, dir) in [
            (&prompts_dir, &self.media.prompts_dir),
            (&stats_dir, &self.records.stats_dir),
            (&recording_dir, &self.recording.dir),
        ] {
            if let Some(dir) = dir
                && !dir.is_dir()
            {
                return Err((key.clone(), format!("{} is not a directory", dir.display())));
            }
        }
        if let Some(dir) = &self.records.stats_dir {
            kept_file(&dir.join(crate::stats_file::FILE_NAME))
                .map_err(|why| (stats_dir.clone(), why))?;
        }
        if let Some(dir) = &self.recording.dir {
            lock_file(&crate::file_owner::dir_lock_file(dir))
                .map_err(|why| (recording_dir.clone(), why))?;
        }
        self.check_recordings_apart_from_prompts()?;
        // Each prompt file is checked from its header as the server checks it before decoding
        // it at start, so that one it would refuse fails the check rather than the start; the
        // samples are not decoded, which would cost every reload what the start costs.
        if let Some(dir) = &self.media.prompts_dir
            && let Err(e) = crate::prompts::PromptLibrary::check_dir(dir)
        {
            return Err((prompts_dir, format!("{e:#}")));
        }
        if let Some(file) = &self.rooms.state_file {
            self.check_state_file(file)
                .map_err(|why| (state_file.clone(), why))?;
        }
        // The first two are replaced by renaming a new file into their directory; recordings
        // are new files there.
        for (key, dir) in [
            (stats_dir, self.records.stats_dir.as_deref()),
            (recording_dir, self.recording.dir.as_deref()),
            (
                state_file,
                self.rooms.state_file.as_deref().and_then(Path::parent),
            ),
        ] {
            if let Some(dir) = dir {
                writable(dir).map_err(|why| (key, why))?;
            }
        }
        if self.guest_cache.enabled
            && let Some(dir) = &self.guest_cache.dir
        {
            makeable_dir(dir).map_err(|why| (["guest_cache", "dir"].into(), why))?;
        }
        Ok(())
    }

    /// Checks that no two listeners would take the same port: SIP takes its ports over TCP as
    /// well as UDP, so `control.listen` (TCP) may not share one, and RTP takes UDP ports of its
    /// range, so no `sip.listen` port may lie in it; each on an address the other may bind too
    /// (see [`addresses_overlap`]), nor two `sip.listen` entries. A port of 0 is picked at
    /// start, never one in use. Of two clashing keys, the error names one `text` (the file)
    /// writes: the other may be a default.
    pub(super) fn check_ports_apart(&self, text: &str) -> Checked {
        self.check_sip_ports_apart()?;
        self.check_tls_ports_apart()?;
        let control = self.control.listen;
        let rtp = &self.rtp;
        let sip_key = || KeyPath::from(["sip", "listen"]);
        for &sip in &self.sip.listen {
            if control.port() != 0
                && control.port() == sip.port()
                && addresses_overlap(control.ip(), sip.ip())
            {
                let why = "which SIP takes over TCP as well as UDP: the control endpoint could \
                           not listen on it";
                return Err(at_written(
                    text,
                    (
                        ["control", "listen"].into(),
                        format!("{control} has the port of sip.listen {sip}, {why}"),
                    ),
                    [(
                        sip_key(),
                        format!("{sip} has the port of control.listen {control}, {why}"),
                    )],
                ));
            }
            if (rtp.port_min..=rtp.port_max).contains(&sip.port())
                && addresses_overlap(rtp_binds(rtp.address), sip.ip())
            {
                let range = format!(
                    "the RTP range rtp.port_min..=rtp.port_max ({}..={}) on rtp.address {}",
                    rtp.port_min, rtp.port_max, rtp.address
                );
                let why = "SIP and calls' RTP would contend for its UDP port";
                let of_rtp = format!("{range} holds the port of sip.listen {sip}: {why}");
                return Err(at_written(
                    text,
                    (sip_key(), format!("{sip} lies in {range}: {why}")),
                    ["port_min", "port_max", "address"]
                        .map(|key| (KeyPath::from(["rtp", key]), of_rtp.clone())),
                ));
            }
        }
        Ok(())
    }

    /// Checks that no two `sip.listen` entries bind the same port: on the same address, or
    /// one on the wildcard of the other's family (SIP's IPv6 sockets are IPv6-only, so `::`
    /// leaves IPv4 to `0.0.0.0`). The later entry is at fault.
    fn check_sip_ports_apart(&self) -> Checked {
        let listen = &self.sip.listen;
        for (later, b) in listen.iter().enumerate() {
            let clash = listen[..later].iter().enumerate().find(|(_, a)| {
                a.port() != 0 && a.port() == b.port() && same_or_wildcard(a.ip(), b.ip())
            });
            if let Some((earlier, a)) = clash {
                return Err((
                    self.sip_listen_key(later),
                    format!(
                        "{b} takes the port of sip.listen[{earlier}] {a} on an address both \
                         bind: SIP could not listen on both"
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Checks that no `sip.tls_listen` entry takes the TCP port of a `sip.listen` entry, of
    /// an earlier `sip.tls_listen` one (each on IPv6-only sockets, as SIP's others), or of
    /// `control.listen`, on an address both bind: the later listener could not listen.
    fn check_tls_ports_apart(&self) -> Checked {
        let (tls, control) = (&self.sip.tls_listen, self.control.listen);
        for (index, b) in tls.iter().enumerate().filter(|(_, b)| b.port() != 0) {
            let mut sip = self.sip.listen.iter().chain(&tls[..index]);
            let taken_by = match sip
                .find(|a| a.port() == b.port() && same_or_wildcard(a.ip(), b.ip()))
            {
                Some(a) => format!("another SIP listener's, {a}"),
                None if control.port() == b.port() && addresses_overlap(control.ip(), b.ip()) => {
                    format!("control.listen's, {control}")
                }
                None => continue,
            };
            return Err((
                entry_key(["sip", "tls_listen"], tls, index),
                format!(
                    "{b} takes the TCP port of {taken_by}, on an address both bind: both \
                     could not listen"
                ),
            ));
        }
        Ok(())
    }

    /// Checks that no `sip.listen` or `sip.tls_listen` entry is an IPv4-mapped IPv6 address:
    /// SIP's IPv6 sockets are IPv6-only, and such a socket cannot bind one (`EINVAL`).
    fn check_sip_not_mapped(&self) -> Checked {
        let lists = [
            ("listen", &self.sip.listen),
            ("tls_listen", &self.sip.tls_listen),
        ];
        for (name, list) in lists {
            for (index, addr) in list.iter().enumerate() {
                if let IpAddr::V6(v6) = addr.ip()
                    && let Some(v4) = v6.to_ipv4_mapped()
                {
                    let v4 = SocketAddr::new(v4.into(), addr.port());
                    return Err((
                        entry_key(["sip", name], list, index),
                        format!(
                            "{addr} is an IPv4-mapped IPv6 address, which SIP's IPv6-only \
                             sockets cannot bind: write it as IPv4, {v4}"
                        ),
                    ));
                }
            }
        }
        Ok(())
    }

    /// The key of the `sip.listen` entry `index`: see [`entry_key`].
    fn sip_listen_key(&self, index: usize) -> KeyPath {
        entry_key(["sip", "listen"], &self.sip.listen, index)
    }

    /// Checks that `recording.dir` is not `media.prompts_dir`: every `<name>.wav` there is
    /// decoded whole at each check and start and played as the prompt `<name>`, so a
    /// recording named as a prompt would replace it, and one cut short would stop the start.
    fn check_recordings_apart_from_prompts(&self) -> Checked {
        if let (Some(recordings), Some(prompts)) = (&self.recording.dir, &self.media.prompts_dir)
            && same_path(recordings, prompts)
        {
            return Err((
                ["recording", "dir"].into(),
                format!(
                    "{} is also the directory of media.prompts_dir: each recording there would \
                     be read as a prompt at start, and one named as a prompt would replace it; \
                     give the recordings a directory of their own",
                    recordings.display()
                ),
            ));
        }
        Ok(())
    }

    /// Checks `guests.<name>.records_dir`, `dir`: a writable directory, and
    /// none the server keeps its own files in nor another guest's records
    /// directory, as a guest may empty or overwrite any file of its
    /// directory. A directory inside one of those, or holding one, is taken:
    /// a guest names only files directly in its own.
    /// `file` is the configuration file.
    pub(super) fn check_records_dir(&self, name: &str, dir: &Path, file: &Path) -> Checked {
        let key = guest_key(name).key("records_dir");
        if !dir.is_dir() {
            return Err((key, format!("{} is not a directory", dir.display())));
        }
        // The guest's records are files it makes there.
        writable(dir).map_err(|why| (key.clone(), why))?;
        match self
            .dirs_beside_records(name, file)
            .find(|(_, other)| same_path(dir, other))
        {
            Some((other_key, _)) => Err((
                key,
                format!(
                    "{} is also the directory of {other_key}: the guest could empty or \
                     overwrite the files kept there; give it a directory of its own",
                    dir.display()
                ),
            )),
            None => Ok(()),
        }
    }

    /// The directories no records directory of the guest `name` may be, each
    /// with the key that sets it: those the server writes its own files in,
    /// the prompts', those of the files it reads (the configuration file `file`,
    /// the control endpoint's token files and TLS files, the guests' components), and
    /// the other guests' records directories.
    fn dirs_beside_records<'c>(
        &'c self,
        name: &'c str,
        file: &'c Path,
    ) -> impl Iterator<Item = (String, PathBuf)> + 'c {
        let cache = match (&self.guest_cache.dir, self.guest_cache.enabled) {
            (Some(dir), true) => Some(("guest_cache.dir".to_owned(), dir.clone())),
            (None, true) => switchyard_guest::CompileCache::default_dir()
                .map(|dir| ("guest_cache.dir (its default)".to_owned(), dir)),
            (_, false) => None,
        };
        let dirs = [
            ("records.stats_dir", self.records.stats_dir.clone()),
            ("recording.dir", self.recording.dir.clone()),
            ("media.prompts_dir", self.media.prompts_dir.clone()),
            ("this configuration file", Some(dir_holding(file))),
        ];
        let of_files = [
            ("rooms.state_file", &self.rooms.state_file),
            ("control.token_file", &self.control.token_file),
            ("control.read_token_file", &self.control.read_token_file),
            ("control.tls_cert", &self.control.tls_cert),
            ("control.tls_key", &self.control.tls_key),
        ]
        .map(|(key, path)| (key, path.as_deref().map(dir_holding)));
        let server = dirs
            .into_iter()
            .chain(of_files)
            .filter_map(|(key, dir)| Some((key.to_owned(), dir?)));
        let components = self.guests.iter().filter_map(|(guest, entry)| {
            let dir = dir_holding(entry.wasm.as_deref()?);
            Some((guest_key(guest).key("wasm").to_string(), dir))
        });
        let guests = self
            .guests
            .iter()
            .filter(move |(other, _)| *other != name)
            .filter_map(|(other, entry)| {
                let dir = entry.records_dir.clone()?;
                Some((guest_key(other).key("records_dir").to_string(), dir))
            });
        server.chain(cache).chain(components).chain(guests)
    }

    /// Checks `rooms.state_file`, `file`: a file (existing or not) in an
    /// existing directory, a regular file and no link if it exists ([`kept_file`]), and not
    /// the stats file of `records.stats_dir`, which the two would write over each other; the
    /// error says why not.
    fn check_state_file(&self, file: &Path) -> Result<(), String> {
        if !file.parent().is_some_and(Path::is_dir) {
            return Err(format!(
                "{} is not in an existing directory",
                file.display()
            ));
        }
        if file.is_dir() {
            return Err(format!(
                "{} is a directory; give the path of the file the rooms are kept in",
                file.display()
            ));
        }
        kept_file(file)?;
        if let Some(dir) = &self.records.stats_dir
            && same_path(file, &dir.join(crate::stats_file::FILE_NAME))
        {
            return Err(format!(
                "{} is the stats file of records.stats_dir; give the rooms a file of their own",
                file.display()
            ));
        }
        Ok(())
    }
}

/// Checks `file`, a file the server keeps, if it exists: a regular file (reading a FIFO would
/// hold up the start until some writer came) and no symbolic link, which writing the file
/// would replace by a file of its own, as it renames a new file over the old
/// ([`crate::durable_file::replace`]), the file it leads to left behind as it was; and its
/// lock file ([`lock_file`]); the error says why not.
fn kept_file(file: &Path) -> Result<(), String> {
    match std::fs::symlink_metadata(file) {
        Ok(meta) if meta.is_symlink() => {
            return Err(format!(
                "{} is a symbolic link, which writing the file would replace by a file of its \
                 own, leaving the file it leads to as it was; give the path of the file itself",
                file.display()
            ));
        }
        Ok(meta) if !meta.is_file() => return Err(not_a_regular_file(file)),
        _ => {}
    }
    lock_file(&crate::file_owner::lock_file(file)?)
}

/// Checks `lock`, the lock file the server takes while it keeps a file or a directory
/// ([`crate::file_owner`]), if it exists: a regular file (links followed), as the start
/// opens and locks no other; the error says why not.
fn lock_file(lock: &Path) -> Result<(), String> {
    match std::fs::metadata(lock) {
        Ok(meta) if !meta.is_file() => Err(format!(
            "{}, which the server locks while it runs; remove it",
            not_a_regular_file(lock)
        )),
        _ => Ok(()),
    }
}

/// That `path` is not a regular file.
fn not_a_regular_file(path: &Path) -> String {
    format!(
        "{} is not a regular file (a FIFO, a device or a directory)",
        path.display()
    )
}

/// The widest address calls' RTP sockets bind on `rtp.address`: an unspecified one binds `::`
/// for IPv6 calls, which takes IPv4 as well.
fn rtp_binds(address: IpAddr) -> IpAddr {
    if address.is_unspecified() {
        Ipv6Addr::UNSPECIFIED.into()
    } else {
        address
    }
}

/// Whether a plain socket bound to `plain` (the control listener's, an RTP socket's) and a SIP
/// socket bound to `sip` on one port and protocol would clash (see [`same_or_wildcard`]). A
/// plain `::` clashes with IPv4 too, as a socket on it takes IPv4 as well; SIP's `::` does
/// not, as SIP's IPv6 sockets are IPv6-only.
fn addresses_overlap(plain: IpAddr, sip: IpAddr) -> bool {
    plain == IpAddr::from(Ipv6Addr::UNSPECIFIED) || same_or_wildcard(plain, sip)
}

/// Whether two sockets, each of one family only, bound to `a` and `b` on one port and
/// protocol would clash: the same address (an IPv4-mapped IPv6 address is its IPv4 one), or a
/// wildcard and an address of its family.
fn same_or_wildcard(a: IpAddr, b: IpAddr) -> bool {
    let (a, b) = (a.to_canonical(), b.to_canonical());
    a == b || ((a.is_unspecified() || b.is_unspecified()) && a.is_ipv4() == b.is_ipv4())
}

/// The key of entry `index` of `list`, the list at `key`: `key` itself when the entry is the
/// only one, which may be written without a list.
fn entry_key(key: [&str; 2], list: &[SocketAddr], index: usize) -> KeyPath {
    let key = KeyPath::from(key);
    if list.len() == 1 {
        key
    } else {
        key.index(index)
    }
}

/// Of the keys at fault, each with its message, `first` if `text` writes it, else the first
/// of `others` it writes, else `first`: a clash is told at a key the file sets, where it has a
/// line, rather than at one left to its default.
pub(super) fn at_written(
    text: &str,
    first: (KeyPath, String),
    others: impl IntoIterator<Item = (KeyPath, String)>,
) -> (KeyPath, String) {
    if writes(text, &first.0) {
        return first;
    }
    others
        .into_iter()
        .find(|(key, _)| writes(text, key))
        .unwrap_or(first)
}

/// Whether `addr`'s address is one of this host's (or the wildcard of a family
/// it has): a socket can be bound to it, on any port. An IPv6 link-local
/// address keeps its scope, without which the kernel binds none.
pub(super) fn of_this_host(mut addr: SocketAddr) -> std::io::Result<()> {
    addr.set_port(0);
    std::net::UdpSocket::bind(addr).map(drop)
}

/// Whether this process may create and rename files in `dir` (its effective
/// user and groups), asked of the kernel without writing; the error says why not.
fn writable(dir: &Path) -> Result<(), String> {
    use rustix::fs::{Access, AtFlags, CWD, accessat};
    accessat(
        CWD,
        dir,
        Access::WRITE_OK | Access::EXEC_OK,
        AtFlags::EACCESS,
    )
    .map_err(|e| {
        format!(
            "the directory {} is not writable by this process: {e}",
            dir.display()
        )
    })
}

/// Checks `dir`, a directory the server makes (with its missing parents) when it first
/// writes there, as the guest cache does: a writable directory, or under a writable one where
/// the rest can be made; the error says why not.
fn makeable_dir(dir: &Path) -> Result<(), String> {
    // The nearest part of the path that is there: the directory itself, or the one its
    // missing parts would be made in. A dangling link is there, and no directory.
    let Some(existing) = dir
        .ancestors()
        .find(|part| std::fs::symlink_metadata(part).is_ok())
    else {
        return Err(format!(
            "{} cannot be made: no part of it exists",
            dir.display()
        ));
    };
    if !existing.is_dir() {
        return Err(match existing == dir {
            true => format!("{} is not a directory", dir.display()),
            false => format!(
                "{} cannot be made: {} is not a directory",
                dir.display(),
                existing.display()
            ),
        });
    }
    writable(existing)
}

/// The directory holding the file `path` (links to it followed, so the
/// directory its content really is in), `.` for a bare file name.
fn dir_holding(path: &Path) -> PathBuf {
    dir_of(&resolved(path)).to_owned()
}

/// `path` with its links resolved: the whole path when it exists, else its
/// directory's, else as it is.
fn resolved(path: &Path) -> PathBuf {
    if let Ok(path) = path.canonicalize() {
        return path;
    }
    match (
        path.parent().and_then(|dir| dir.canonicalize().ok()),
        path.file_name(),
    ) {
        (Some(dir), Some(name)) => dir.join(name),
        _ => path.to_owned(),
    }
}

/// Whether `a` and `b` name the same file or directory, their links resolved
/// (as far as they exist).
pub(crate) fn same_path(a: &Path, b: &Path) -> bool {
    resolved(a) == resolved(b)
}

/// What makes `ip` an address no peer can send to (unspecified, multicast, broadcast);
/// `None` if it is one.
pub(super) fn not_a_peers_address(ip: IpAddr) -> Option<&'static str> {
    if ip.is_unspecified() {
        Some("unspecified (in SDP, c=0.0.0.0 reads as hold: RFC 3264 §8.4)")
    } else if ip.is_multicast() {
        Some("a multicast address")
    } else if matches!(ip, IpAddr::V4(v4) if v4.is_broadcast()) {
        Some("the broadcast address")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tests::parse;

    #[test]
    fn a_listen_address_this_host_does_not_have_names_its_key_and_line() {
        // 192.0.2.0/24 (RFC 5737) is no address of any host.
        let err = parse("[sip]\nlisten = [\"0.0.0.0:5060\", \"192.0.2.1:5060\"]\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("sip.listen"), "{err}");
        assert!(
            err.message
                .starts_with("192.0.2.1:5060 is no address of this host"),
            "{err}"
        );
        let err = parse("[control]\nlisten = \"192.0.2.1:8090\"\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("control.listen"), "{err}");
        assert!(
            err.message
                .starts_with("192.0.2.1:8090 is no address of this host"),
            "{err}"
        );
        assert!(
            parse("[sip]\nlisten = [\"127.0.0.1:5060\", \"[::]:5060\"]\n").is_ok(),
            "an address of this host, and a wildcard, are taken"
        );
    }

    #[test]
    fn the_control_endpoint_may_not_listen_on_a_port_sip_takes_over_tcp() {
        // Port 5070, below the default RTP range.
        let err =
            parse("[sip]\nlisten = [\"127.0.0.1:5070\"]\n[control]\nlisten = \"127.0.0.1:5070\"\n")
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.toml:4:1: control.listen: 127.0.0.1:5070 has the port of sip.listen \
             127.0.0.1:5070, which SIP takes over TCP as well as UDP: the control endpoint \
             could not listen on it"
        );
        // The default sip.listen: both families' wildcards.
        let err = parse("[control]\nlisten = \"127.0.0.1:5060\"\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("control.listen"), "{err}");
        for apart in [
            "[sip]\nlisten = \"127.0.0.2:5070\"\n[control]\nlisten = \"127.0.0.1:5070\"\n",
            "[sip]\nlisten = \"[::1]:5070\"\n[control]\nlisten = \"127.0.0.1:5070\"\n",
            "[sip]\nlisten = \"127.0.0.1:0\"\n[control]\nlisten = \"127.0.0.1:0\"\n",
        ] {
            assert!(parse(apart).is_ok(), "{apart}");
        }
    }

    #[test]
    fn no_sip_port_may_lie_in_the_rtp_range_on_an_address_rtp_binds() {
        let err = parse(
            "[sip]\nlisten = [\"[::1]:5060\", \"127.0.0.1:20001\"]\n\
             [rtp]\nport_min = 20000\nport_max = 20099\n",
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.toml:2:1: sip.listen: 127.0.0.1:20001 lies in the RTP range \
             rtp.port_min..=rtp.port_max (20000..=20099) on rtp.address 0.0.0.0: SIP and \
             calls' RTP would contend for its UDP port"
        );
        let on = |sip: &str, rtp: &str| {
            parse(&format!(
                "[sip]\nlisten = \"{sip}\"\n[rtp]\naddress = \"{rtp}\"\n\
                 port_min = 20000\nport_max = 20099\n"
            ))
        };
        let err = on("127.0.0.1:20099", "127.0.0.1").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("sip.listen"), "{err}");
        assert!(on("127.0.0.1:20100", "127.0.0.1").is_ok(), "past the range");
        assert!(
            on("127.0.0.2:20001", "127.0.0.1").is_ok(),
            "another address"
        );
        assert!(on("[::1]:20001", "127.0.0.1").is_ok(), "another family");
        // An unspecified rtp.address binds `::` for IPv6 calls.
        for sip in ["[::]:20001", "[::1]:20001"] {
            assert!(
                on(sip, "0.0.0.0").is_err(),
                "{sip} beside RTP of both families"
            );
        }
    }

    #[test]
    fn no_two_sip_listen_entries_bind_one_port_on_an_address_both_take() {
        for (first, second) in [
            ("0.0.0.0:5070", "127.0.0.1:5070"),
            ("127.0.0.1:5070", "127.0.0.1:5070"),
            ("[::]:5070", "[::1]:5070"),
        ] {
            let text =
                format!("[sip]\n# listeners\nlisten = [\n  \"{first}\",\n  \"{second}\",\n]\n");
            let err = parse(&text).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "test.toml:5:3: sip.listen[1]: {second} takes the port of sip.listen[0] \
                     {first} on an address both bind: SIP could not listen on both"
                )
            );
        }
        for apart in [
            "\"0.0.0.0:5070\", \"[::]:5070\"",
            "\"[::]:5070\", \"127.0.0.1:5070\"",
            "\"127.0.0.1:5070\", \"127.0.0.2:5070\"",
            "\"127.0.0.1:5070\", \"127.0.0.1:5071\"",
            "\"127.0.0.1:0\", \"127.0.0.1:0\"",
        ] {
            let text = format!("[sip]\nlisten = [{apart}]\n");
            assert!(parse(&text).is_ok(), "{apart}: {:?}", parse(&text));
        }
    }

    #[test]
    fn a_sip_listen_address_is_not_written_as_ipv4_mapped_ipv6() {
        let err =
            parse("[sip]\nlisten = [\n  \"[::1]:5070\",\n  \"[::ffff:127.0.0.1]:5070\",\n]\n")
                .unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.toml:4:3: sip.listen[1]: [::ffff:127.0.0.1]:5070 is an IPv4-mapped IPv6 \
             address, which SIP's IPv6-only sockets cannot bind: write it as IPv4, 127.0.0.1:5070"
        );
        // A single address, which may be written bare, is the key itself.
        let err = parse("[sip]\nlisten = \"[::ffff:127.0.0.1]:5070\"\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("sip.listen"), "{err}");
        assert_eq!(err.position, Some((2, 1)), "{err}");
    }

    #[test]
    fn a_sip_tls_listen_address_is_not_written_as_ipv4_mapped_ipv6() {
        let err = parse("[sip]\ntls_listen = [\"127.0.0.1:5061\", \"[::ffff:127.0.0.1]:5062\"]\n")
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.toml:2:33: sip.tls_listen[1]: [::ffff:127.0.0.1]:5062 is an IPv4-mapped IPv6 \
             address, which SIP's IPv6-only sockets cannot bind: write it as IPv4, 127.0.0.1:5062"
        );
        let err = parse("[sip]\ntls_listen = \"[::ffff:127.0.0.1]:5061\"\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("sip.tls_listen"), "{err}");
    }

    #[test]
    fn a_port_clash_is_told_at_the_key_the_file_sets_not_at_a_default() {
        // The default sip.listen, 0.0.0.0:5060 and [::]:5060, lies in this range.
        let err = parse("[rtp]\nport_min = 5000\nport_max = 6000\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.toml:2:1: rtp.port_min: the RTP range rtp.port_min..=rtp.port_max \
             (5000..=6000) on rtp.address 0.0.0.0 holds the port of sip.listen 0.0.0.0:5060: \
             SIP and calls' RTP would contend for its UDP port"
        );
        let err =
            parse("[rtp]\naddress = \"0.0.0.0\"\nport_max = 30000\nport_min = 5000\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("rtp.port_min"), "{err}");
        assert_eq!(err.position, Some((4, 1)), "{err}");
        // The default control.listen is 127.0.0.1:8090.
        let err = parse("[sip]\nlisten = \"127.0.0.1:8090\"\n").unwrap_err();
        assert_eq!(
            err.to_string(),
            "test.toml:2:1: sip.listen: 127.0.0.1:8090 has the port of control.listen \
             127.0.0.1:8090, which SIP takes over TCP as well as UDP: the control endpoint \
             could not listen on it"
        );
    }

    #[test]
    fn addresses_overlap_on_the_same_address_or_a_wildcard_that_takes_the_other() {
        let overlap = |a: &str, b: &str| addresses_overlap(a.parse().unwrap(), b.parse().unwrap());
        for (a, b) in [
            ("127.0.0.1", "127.0.0.1"),
            ("0.0.0.0", "192.0.2.1"),
            ("::", "2001:db8::1"),
            ("::", "::"),
            ("::ffff:192.0.2.1", "192.0.2.1"),
            ("::ffff:0.0.0.0", "192.0.2.1"),
        ] {
            assert!(overlap(a, b) && overlap(b, a), "{a} and {b}");
        }
        for (a, b) in [
            ("127.0.0.1", "127.0.0.2"),
            ("0.0.0.0", "::1"),
            ("::1", "127.0.0.1"),
            ("2001:db8::1", "2001:db8::2"),
        ] {
            assert!(!overlap(a, b) && !overlap(b, a), "{a} and {b}");
        }
        // A plain socket on `::` takes IPv4 too; SIP's is IPv6-only.
        for (plain, sip) in [("::", "192.0.2.1"), ("::", "0.0.0.0")] {
            assert!(overlap(plain, sip), "{plain} and SIP on {sip}");
            assert!(!overlap(sip, plain), "{sip} and SIP on {plain}");
        }
    }

    #[test]
    fn sip_on_the_ipv6_wildcard_leaves_the_ipv4_port_to_control_and_rtp() {
        let control =
            parse("[sip]\nlisten = [\"[::]:5060\"]\n[control]\nlisten = \"127.0.0.1:5060\"\n");
        assert!(control.is_ok(), "{control:?}");
        let rtp = parse(
            "[sip]\nlisten = [\"[::]:20001\"]\n[rtp]\naddress = \"127.0.0.1\"\n\
             port_min = 20000\nport_max = 20099\n",
        );
        assert!(rtp.is_ok(), "{rtp:?}");
        // Control or RTP on `::` takes IPv4 too (control there needs a token, checked first).
        let unchecked = "[sip]\nlisten = [\"127.0.0.1:5060\"]\n[control]\nlisten = \"[::]:5060\"\n";
        let (key, _) = Config::parse_unchecked(Path::new("test.toml"), unchecked)
            .unwrap()
            .check_ports_apart(unchecked)
            .unwrap_err();
        assert_eq!(key.to_string(), "control.listen");
        let err = parse(
            "[sip]\nlisten = [\"127.0.0.1:20001\"]\n[rtp]\naddress = \"::\"\n\
             port_min = 20000\nport_max = 20099\n",
        )
        .unwrap_err();
        assert_eq!(err.key.as_deref(), Some("sip.listen"), "{err}");
    }

    /// A directory this process cannot write in, whoever it runs as: no
    /// write permission, and for root (who needs none) the immutable
    /// attribute; dropping it makes the directory writable again.
    struct Unwritable(tempfile::TempDir);

    impl Unwritable {
        fn new() -> Unwritable {
            use std::os::unix::fs::PermissionsExt;
            let dir = tempfile::tempdir().unwrap();
            std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o555)).unwrap();
            if std::fs::write(dir.path().join("probe"), b"").is_ok() {
                std::fs::remove_file(dir.path().join("probe")).unwrap();
                let status = std::process::Command::new("chattr")
                    .arg("+i")
                    .arg(dir.path())
                    .status()
                    .expect("running chattr, to make a directory root cannot write in");
                assert!(status.success(), "chattr +i {}", dir.path().display());
            }
            assert!(
                std::fs::write(dir.path().join("probe"), b"").is_err(),
                "{} is still writable",
                dir.path().display()
            );
            Unwritable(dir)
        }
    }

    impl Drop for Unwritable {
        fn drop(&mut self) {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(self.0.path())
                .stderr(std::process::Stdio::null())
                .status();
            let _ = std::fs::set_permissions(self.0.path(), std::fs::Permissions::from_mode(0o755));
        }
    }

    #[test]
    fn the_stats_recording_room_state_and_guest_records_directories_must_be_writable() {
        let locked = Unwritable::new();
        let dir = locked.0.path().display().to_string();
        for (text, key) in [
            (
                format!("# stats\n[records]\nstats_dir = \"{dir}\"\n"),
                "records.stats_dir",
            ),
            (
                format!("# rooms\n[rooms]\nstate_file = \"{dir}/rooms.json\"\n"),
                "rooms.state_file",
            ),
            (
                format!("# recordings\n[recording]\ndir = \"{dir}\"\n"),
                "recording.dir",
            ),
            (
                format!("# records\n[guests.webconference]\nrecords_dir = \"{dir}\"\n"),
                "guests.webconference.records_dir",
            ),
        ] {
            let err = parse(&text).unwrap_err();
            assert_eq!(err.key.as_deref(), Some(key), "{err}");
            assert_eq!(err.position.map(|p| p.0), Some(3), "{err}");
            assert!(
                err.message.starts_with(&format!(
                    "the directory {dir} is not writable by this process: "
                )),
                "{err}"
            );
        }
        let open = tempfile::tempdir().unwrap();
        for sub in ["stats", "rooms", "records"] {
            std::fs::create_dir(open.path().join(sub)).unwrap();
        }
        let text = format!(
            "[records]\nstats_dir = \"{0}/stats\"\n[rooms]\nstate_file = \"{0}/rooms/rooms.json\"\n\
             [guests.webconference]\nrecords_dir = \"{0}/records\"\n",
            open.path().display()
        );
        assert!(parse(&text).is_ok());
    }

    /// A directory `records` in `dir`, and a link `link` to it there.
    fn linked_records_dir(dir: &Path) -> (PathBuf, PathBuf) {
        let records = dir.join("records");
        std::fs::create_dir(&records).unwrap();
        let link = dir.join("link");
        std::os::unix::fs::symlink(&records, &link).unwrap();
        (records, link)
    }

    #[test]
    fn a_guests_records_dir_is_no_directory_of_the_servers_files_nor_another_guests() {
        let dir = tempfile::tempdir().unwrap();
        let (records, link) = linked_records_dir(dir.path());
        let (records, link) = (records.display(), link.display());
        for (table, key) in [
            (
                format!("[records]\nstats_dir = \"{link}\""),
                "records.stats_dir",
            ),
            (
                format!("[rooms]\nstate_file = \"{link}/rooms.json\""),
                "rooms.state_file",
            ),
            (format!("[recording]\ndir = \"{link}/\""), "recording.dir"),
            (
                format!("[media]\nprompts_dir = \"{link}\""),
                "media.prompts_dir",
            ),
            (
                format!("[guest_cache]\ndir = \"{link}\""),
                "guest_cache.dir",
            ),
            (
                format!("[guests.webconference]\nrecords_dir = \"{link}\""),
                "guests.webconference.records_dir",
            ),
        ] {
            let text = format!("{table}\n[guests.nway]\n# records\nrecords_dir = \"{records}\"\n");
            let err = parse(&text).unwrap_err();
            assert_eq!(err.key.as_deref(), Some("guests.nway.records_dir"), "{err}");
            assert_eq!(err.position.map(|p| p.0), Some(5), "{err}");
            assert_eq!(
                err.message,
                format!(
                    "{records} is also the directory of {key}: the guest could empty or \
                     overwrite the files kept there; give it a directory of its own"
                ),
                "{err}"
            );
        }
        // A guest names only files directly in its directory: one inside another is taken.
        let text = format!(
            "[records]\nstats_dir = \"{records}\"\n[guests.nway]\nrecords_dir = \"{records}/..\"\n\
             [guests.webconference]\nrecords_dir = \"{link}/..\"\n"
        );
        let err = parse(&text).unwrap_err();
        assert_eq!(
            err.key.as_deref(),
            Some("guests.nway.records_dir"),
            "the two guests' directories are one: {err}"
        );
        std::fs::create_dir(dir.path().join("records").join("nway")).unwrap();
        let text = format!(
            "[records]\nstats_dir = \"{records}\"\n[guests.nway]\nrecords_dir = \"{records}/nway\"\n\
             [guests.webconference]\nrecords_dir = \"{link}/..\"\n"
        );
        assert!(parse(&text).is_ok(), "{:?}", parse(&text));
    }

    #[test]
    fn the_recording_dir_is_not_the_prompts_dir() {
        let dir = tempfile::tempdir().unwrap();
        let (records, link) = linked_records_dir(dir.path());
        let (records, link) = (records.display(), link.display());
        let text =
            format!("[media]\nprompts_dir = \"{records}\"\n[recording]\ndir = \"{link}/\"\n");
        let err = parse(&text).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "test.toml:4:1: recording.dir: {link}/ is also the directory of \
                 media.prompts_dir: each recording there would be read as a prompt at start, \
                 and one named as a prompt would replace it; give the recordings a directory \
                 of their own"
            )
        );
        std::fs::create_dir(dir.path().join("records").join("recordings")).unwrap();
        let apart = format!(
            "[media]\nprompts_dir = \"{records}\"\n[recording]\ndir = \"{link}/recordings\"\n"
        );
        assert!(parse(&apart).is_ok(), "{:?}", parse(&apart));
    }

    #[test]
    fn a_guests_records_dir_is_no_directory_of_the_files_the_server_reads() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("switchyard.toml");
        let err =
            Config::parse(&file, "[guests.nway]\n# records\nrecords_dir = \".\"\n").unwrap_err();
        assert_eq!(err.key.as_deref(), Some("guests.nway.records_dir"), "{err}");
        assert_eq!(err.position, Some((3, 1)), "{err}");
        assert_eq!(
            err.message,
            format!(
                "{}/. is also the directory of this configuration file: the guest could empty \
                 or overwrite the files kept there; give it a directory of its own",
                dir.path().display()
            )
        );
        let (records, link) = linked_records_dir(dir.path());
        let link = link.display();
        for (table, key) in [
            (
                format!("[control]\ntoken_file = \"{link}/token\""),
                "control.token_file",
            ),
            (
                format!("[control]\nread_token_file = \"{link}/read-token\""),
                "control.read_token_file",
            ),
            (
                format!("[control]\ntls_cert = \"{link}/cert.pem\""),
                "control.tls_cert",
            ),
            (
                format!("[control]\ntls_key = \"{link}/key.pem\""),
                "control.tls_key",
            ),
            (
                format!("[guests.webconference]\nwasm = \"{link}/g.wasm\""),
                "guests.webconference.wasm",
            ),
            (
                format!("[guests.nway]\nwasm = \"{link}/nway.wasm\""),
                "guests.nway.wasm",
            ),
        ] {
            let config = Config::parse_unchecked(&file, &table).unwrap();
            let (at, message) = config
                .check_records_dir("nway", &records, &file)
                .unwrap_err();
            assert_eq!(at.to_string(), "guests.nway.records_dir", "{message}");
            assert!(
                message.ends_with(&format!(
                    "is also the directory of {key}: the guest could \
                     empty or overwrite the files kept there; give it a directory of its own"
                )),
                "{key}: {message}"
            );
        }
    }

    #[test]
    fn a_file_the_server_reads_counts_where_its_link_leads() {
        let dir = tempfile::tempdir().unwrap();
        let (records, _) = linked_records_dir(dir.path());
        let elsewhere = dir.path().join("etc");
        std::fs::create_dir(&elsewhere).unwrap();
        for name in ["switchyard.toml", "cert.pem"] {
            std::fs::write(records.join(name), "").unwrap();
            std::os::unix::fs::symlink(records.join(name), elsewhere.join(name)).unwrap();
        }
        let file = elsewhere.join("switchyard.toml");
        let config = Config::parse_unchecked(&file, "").unwrap();
        let (_, message) = config
            .check_records_dir("nway", &records, &file)
            .unwrap_err();
        assert!(
            message.contains("is also the directory of this configuration file"),
            "{message}"
        );
        let cert = elsewhere.join("cert.pem").display().to_string();
        let config =
            Config::parse_unchecked(&file, &format!("[control]\ntls_cert = {cert:?}")).unwrap();
        let at_cert = config.check_records_dir("nway", &records, &elsewhere.join("x.toml"));
        let (_, message) = at_cert.unwrap_err();
        assert!(
            message.contains("is also the directory of control.tls_cert"),
            "{message}"
        );
    }

    #[test]
    fn a_rooms_state_file_that_is_a_directory_or_the_stats_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (records, link) = linked_records_dir(dir.path());
        let (records, link) = (records.display(), link.display());
        for (text, message) in [
            (
                format!("[rooms]\n\nstate_file = \"{records}\"\n"),
                format!(
                    "{records} is a directory; give the path of the file the rooms are kept in"
                ),
            ),
            (
                format!(
                    "[records]\nstats_dir = \"{records}\"\n[rooms]\nstate_file = \"{link}/stats\"\n"
                ),
                format!(
                    "{link}/stats is the stats file of records.stats_dir; give the rooms a file \
                     of their own"
                ),
            ),
        ] {
            let err = parse(&text).unwrap_err();
            assert_eq!(err.key.as_deref(), Some("rooms.state_file"), "{err}");
            assert_eq!(
                err.position.map(|p| p.0),
                Some(text.lines().count()),
                "{err}"
            );
            assert_eq!(err.message, message, "{err}");
        }
        let beside = format!(
            "[records]\nstats_dir = \"{records}\"\n[rooms]\nstate_file = \"{link}/rooms.json\"\n"
        );
        assert!(parse(&beside).is_ok(), "{:?}", parse(&beside));
    }

    #[test]
    fn a_kept_file_that_is_a_symbolic_link_or_no_regular_file_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let (records, _) = linked_records_dir(dir.path());
        std::fs::write(records.join("rooms.json"), "{\"rooms\":[]}").unwrap();
        let kept = dir.path().join("kept");
        std::fs::create_dir(&kept).unwrap();
        let link = kept.join("rooms.json");
        std::os::unix::fs::symlink(records.join("rooms.json"), &link).unwrap();
        let dangling = kept.join("dangling.json");
        std::os::unix::fs::symlink(records.join("none.json"), &dangling).unwrap();
        let fifo = kept.join("fifo.json");
        crate::file_owner::tests::make_fifo(&fifo);
        let is_a_link = |path: &Path| {
            format!(
                "{} is a symbolic link, which writing the file would replace by a file of its \
                 own, leaving the file it leads to as it was; give the path of the file itself",
                path.display()
            )
        };
        let no_regular_file = |path: &Path| {
            format!(
                "{} is not a regular file (a FIFO, a device or a directory)",
                path.display()
            )
        };
        let stats_link = dir.path().join("stats-link");
        std::fs::create_dir(&stats_link).unwrap();
        std::os::unix::fs::symlink(records.join("stats"), stats_link.join("stats")).unwrap();
        let stats_fifo = dir.path().join("stats-fifo");
        std::fs::create_dir(&stats_fifo).unwrap();
        crate::file_owner::tests::make_fifo(&stats_fifo.join("stats"));
        for (text, key, message) in [
            (
                format!("[rooms]\nstate_file = {:?}\n", link.display().to_string()),
                "rooms.state_file",
                is_a_link(&link),
            ),
            (
                format!(
                    "[rooms]\nstate_file = {:?}\n",
                    dangling.display().to_string()
                ),
                "rooms.state_file",
                is_a_link(&dangling),
            ),
            (
                format!("[rooms]\nstate_file = {:?}\n", fifo.display().to_string()),
                "rooms.state_file",
                no_regular_file(&fifo),
            ),
            (
                format!(
                    "[records]\nstats_dir = {:?}\n",
                    stats_link.display().to_string()
                ),
                "records.stats_dir",
                is_a_link(&stats_link.join("stats")),
            ),
            (
                format!(
                    "[records]\nstats_dir = {:?}\n",
                    stats_fifo.display().to_string()
                ),
                "records.stats_dir",
                no_regular_file(&stats_fifo.join("stats")),
            ),
        ] {
            let err = parse(&text).unwrap_err();
            assert_eq!(err.key.as_deref(), Some(key), "{err}");
            assert_eq!(err.position.map(|p| p.0), Some(2), "{err}");
            assert_eq!(err.message, message, "{err}");
        }
        // A link to the directory is no link to the file: the file is replaced where it is.
        let linked_dir = dir.path().join("link").join("rooms.json");
        let text = format!(
            "[rooms]\nstate_file = {:?}\n[records]\nstats_dir = \"{}/link\"\n",
            linked_dir.display().to_string(),
            dir.path().display()
        );
        assert!(parse(&text).is_ok(), "{:?}", parse(&text));
    }

    #[test]
    fn a_lock_file_that_is_no_regular_file_is_refused_at_the_key_of_what_it_locks() {
        let dir = tempfile::tempdir().unwrap();
        let [rooms, stats, recordings] = ["rooms", "stats", "recordings"].map(|name| {
            let sub = dir.path().join(name);
            std::fs::create_dir(&sub).unwrap();
            sub
        });
        let rooms_lock = rooms.join(".rooms.json.lock");
        crate::file_owner::tests::make_fifo(&rooms_lock);
        let stats_lock = stats.join(".stats.lock");
        std::fs::create_dir(&stats_lock).unwrap();
        let recordings_lock = recordings.join(".lock");
        crate::file_owner::tests::make_fifo(&recordings_lock);
        let state_file = rooms.join("rooms.json").display().to_string();
        for (text, key, lock) in [
            (
                format!("[rooms]\nstate_file = {state_file:?}\n"),
                "rooms.state_file",
                &rooms_lock,
            ),
            (
                format!("[records]\nstats_dir = {:?}\n", stats.display().to_string()),
                "records.stats_dir",
                &stats_lock,
            ),
            (
                format!(
                    "[recording]\ndir = {:?}\n",
                    recordings.display().to_string()
                ),
                "recording.dir",
                &recordings_lock,
            ),
        ] {
            let err = parse(&text).unwrap_err();
            assert_eq!(err.key.as_deref(), Some(key), "{err}");
            assert_eq!(err.position.map(|p| p.0), Some(2), "{err}");
            assert_eq!(
                err.message,
                format!(
                    "{} is not a regular file (a FIFO, a device or a directory), which the \
                     server locks while it runs; remove it",
                    lock.display()
                ),
                "{err}"
            );
            // A lock file left by a server that ran before is fine.
            std::fs::remove_file(lock)
                .or_else(|_| std::fs::remove_dir(lock))
                .unwrap();
            std::fs::write(lock, "").unwrap();
            assert!(parse(&text).is_ok(), "{:?}", parse(&text));
        }
    }

    #[test]
    fn the_guest_cache_dir_must_be_a_directory_or_one_that_can_be_made() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let file = file.display();
        for (cache, message) in [
            (format!("{file}"), format!("{file} is not a directory")),
            (
                format!("{file}/cache"),
                format!("{file}/cache cannot be made: {file} is not a directory"),
            ),
            (
                format!("{file}/a/b"),
                format!("{file}/a/b cannot be made: {file} is not a directory"),
            ),
        ] {
            let text = format!("[guest_cache]\n# compiled guests\ndir = {cache:?}\n");
            let err = parse(&text).unwrap_err();
            assert_eq!(err.key.as_deref(), Some("guest_cache.dir"), "{err}");
            assert_eq!(err.position, Some((3, 1)), "{err}");
            assert_eq!(err.message, message, "{err}");
            let off = format!("{text}enabled = false\n");
            assert!(parse(&off).is_ok(), "a cache turned off is not used: {off}");
        }
        let locked = Unwritable::new();
        let under_locked = locked.0.path().join("cache");
        let text = format!(
            "[guest_cache]\ndir = {:?}\n",
            under_locked.display().to_string()
        );
        let err = parse(&text).unwrap_err();
        assert_eq!(err.key.as_deref(), Some("guest_cache.dir"), "{err}");
        assert!(
            err.message.contains("is not writable by this process"),
            "{err}"
        );
        let made_later = dir.path().join("a").join("cache");
        let text = format!(
            "[guest_cache]\ndir = {:?}\n",
            made_later.display().to_string()
        );
        assert!(parse(&text).is_ok(), "{:?}", parse(&text));
    }

    #[test]
    fn a_dns_server_must_be_one_a_query_can_be_sent_to() {
        for (server, why) in [
            ("10.0.0.53:0", "has port 0"),
            ("0.0.0.0:53", "is unspecified"),
            ("[::]:53", "is unspecified"),
            ("224.0.0.251:5353", "is a multicast address"),
            ("[ff02::fb]:5353", "is a multicast address"),
            ("255.255.255.255:53", "is the broadcast address"),
            ("[::ffff:0.0.0.0]:53", "is unspecified"),
            ("[::ffff:255.255.255.255]:53", "is the broadcast address"),
        ] {
            let err = parse(&format!("[sip]\ndns_server = \"{server}\"\n")).unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "test.toml:2:1: sip.dns_server: {server} {why}: no query could be sent to it"
                )
            );
        }
        let config = parse("[sip]\ndns_server = \"127.0.0.53:53\"\n").unwrap();
        assert_eq!(
            config.sip.dns_server,
            Some("127.0.0.53:53".parse().unwrap())
        );
    }
}
