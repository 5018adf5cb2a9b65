//! The operating system's limits that the configured capacity runs into: open
//! files (each call holds its RTP and RTCP sockets, each recording its files)
//! and memory mappings (each guest instance maps a few areas). At start-up the
//! soft open-files limit is raised to the hard one, as servers that hold a
//! socket per call do; a limit that still leaves too little for
//! `limits.max_instances` (with `recording.max_active` recordings when
//! `recording.dir` is set, and the SIP TCP and control connections the server
//! may hold) is logged
//! as a warning naming the setting to raise. Past such a limit calls are refused one by one
//! with the system's reason; nothing else breaks.

use crate::config::RecordingConfig;
use procfs::ProcResult;
use procfs::process::{LimitValue, Process};
use switchyard_media::MAX_RECORDED_TRACKS;
use tracing::{info, warn};

/// Descriptors a call holds while it is up: its RTP and RTCP sockets.
const DESCRIPTORS_PER_CALL: u64 = 2;
/// Descriptors a recording may hold until it ends: its mix's file and each of its tracks'.
const DESCRIPTORS_PER_RECORDING: u64 = 1 + MAX_RECORDED_TRACKS as u64;
/// Memory mappings a live guest instance adds: its linear memory's
/// reservation, the guest's copy-on-write image mapped into it, and the
/// splits these make (measured: 2,110 mappings at 500 live calls of the
/// webconference guest against 100 idle).
const MAPPINGS_PER_INSTANCE: u64 = 4;

/// `process`'s soft limit on open files (`RLIMIT_NOFILE`); unlimited reads as `u64::MAX`.
pub(crate) fn open_files_limit(process: &Process) -> ProcResult<u64> {
    Ok(match process.limits()?.max_open_files.soft_limit {
        LimitValue::Value(limit) => limit,
        LimitValue::Unlimited => u64::MAX,
    })
}

/// How many recordings may hold their files at once under `recording`: `max_active`, or none
/// without a `dir`, as every recording is then refused.
pub(crate) fn recordings_possible(recording: &RecordingConfig) -> usize {
    if recording.dir.is_some() {
        recording.max_active
    } else {
        0
    }
}

/// This process's use of the two limits, and the limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Headroom {
    /// The soft limit on open files (`RLIMIT_NOFILE`).
    pub open_files_limit: u64,
    /// Descriptors open now.
    pub open_files: u64,
    /// `vm.max_map_count`, where the system says.
    pub mappings_limit: Option<u64>,
    /// Memory mappings now.
    pub mappings: u64,
}

impl Headroom {
    /// Reads the limits and this process's use of them from `/proc`.
    pub(crate) fn of_this_process() -> ProcResult<Headroom> {
        let process = Process::myself()?;
        let open_files_limit = open_files_limit(&process)?;
        let open_files = process.fd_count()? as u64;
        let mappings = process.maps()?.len() as u64;
        let mappings_limit = procfs::sys::vm::max_map_count().ok();
        Ok(Headroom {
            open_files_limit,
            open_files,
            mappings_limit,
            mappings,
        })
    }

    /// What falls short of `calls` live calls with `control` control
    /// instances, `recordings` recordings and `connections` connections (SIP
    /// TCP and control, a descriptor each) besides, each as a sentence naming
    /// the limit to raise; empty when both limits leave room.
    pub(crate) fn shortfalls(
        &self,
        calls: u64,
        control: u64,
        recordings: u64,
        connections: u64,
    ) -> Vec<String> {
        let mut short = Vec::new();
        let free_files = self.open_files_limit.saturating_sub(self.open_files);
        let recording_files = recordings.saturating_mul(DESCRIPTORS_PER_RECORDING);
        let call_files = free_files
            .saturating_sub(recording_files)
            .saturating_sub(connections)
            / DESCRIPTORS_PER_CALL;
        if call_files < calls {
            // Recordings are named only where they take files, and so may be traded for calls.
            let (besides_recordings, or_fewer_recordings) = if recordings > 0 {
                (
                    format!(
                        "recording.max_active ({recordings}) recordings of up to \
                         {DESCRIPTORS_PER_RECORDING} files each and "
                    ),
                    ", or lower recording.max_active",
                )
            } else {
                (String::new(), "")
            };
            short.push(format!(
                "the open-files limit ({}, {} in use) leaves room for about {call_files} calls \
                 besides {besides_recordings}up to {connections} SIP TCP and control \
                 connections, fewer than limits.max_instances ({calls}): raise it \
                 (`ulimit -n`, or LimitNOFILE= in a systemd unit){or_fewer_recordings}",
                self.open_files_limit, self.open_files
            ));
        }
        if let Some(limit) = self.mappings_limit {
            let instances = limit.saturating_sub(self.mappings) / MAPPINGS_PER_INSTANCE;
            if instances < calls + control {
                short.push(format!(
                    "vm.max_map_count ({limit}, {} in use) leaves room for about {instances} \
                     guest instances of about {MAPPINGS_PER_INSTANCE} memory mappings each, \
                     fewer than limits.max_instances + limits.control_instances ({}): raise it \
                     (`sysctl vm.max_map_count=…`)",
                    self.mappings,
                    calls + control
                ));
            }
        }
        short
    }
}

/// Raises the soft open-files limit to the hard one; logs what it did.
pub(crate) fn raise_open_files_limit() {
    let before = rlimit::getrlimit(rlimit::Resource::NOFILE).map(|(soft, _)| soft);
    match (before, rlimit::increase_nofile_limit(u64::MAX)) {
        (Ok(before), Ok(now)) if now > before => {
            info!(
                from = before,
                to = now,
                "open-files limit raised to the hard limit"
            );
        }
        (_, Err(e)) => warn!(error = %e, "cannot raise the open-files limit"),
        _ => {}
    }
}

/// Logs a warning for each limit that leaves too little room for `calls`
/// live calls with `control` control instances, `recordings` recordings
/// ([`recordings_possible`]) and `connections` SIP TCP and control connections besides.
pub(crate) fn warn_of_shortfalls(calls: u32, control: u32, recordings: usize, connections: usize) {
    let (calls, control) = (u64::from(calls), u64::from(control));
    match Headroom::of_this_process() {
        Ok(headroom) => {
            let (recordings, connections) = (recordings as u64, connections as u64);
            for shortfall in headroom.shortfalls(calls, control, recordings, connections) {
                warn!("{shortfall}");
            }
        }
        Err(e) => warn!(error = %e, "cannot read this process's limits"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headroom(open_files_limit: u64, mappings_limit: Option<u64>) -> Headroom {
        Headroom {
            open_files_limit,
            open_files: 20,
            mappings_limit,
            mappings: 100,
        }
    }

    #[test]
    fn limits_with_room_for_every_instance_fall_short_of_nothing() {
        let roomy = headroom(1_048_576, Some(65_530));
        assert!(roomy.shortfalls(10_000, 64, 10_000, 0).is_empty());
        // Exactly enough: 20 in use, two sockets per call and 65 files per recording; 100
        // mappings plus 4 an instance.
        assert!(
            headroom(20_085, Some(40_356))
                .shortfalls(10_000, 64, 1, 0)
                .is_empty()
        );
        // A system that does not say how many mappings it allows limits only files.
        assert!(
            headroom(20_085, None)
                .shortfalls(10_000, 64, 1, 0)
                .is_empty()
        );
        assert_eq!(headroom(20_084, None).shortfalls(10_000, 64, 1, 0).len(), 1);
    }

    #[test]
    fn a_low_open_files_limit_names_the_calls_it_allows_and_how_to_raise_it() {
        let short = headroom(1024, Some(65_530)).shortfalls(10_000, 64, 1, 0);
        assert_eq!(
            short,
            [
                "the open-files limit (1024, 20 in use) leaves room for about 469 calls besides \
              recording.max_active (1) recordings of up to 65 files each and up to 0 SIP TCP \
              and control connections, fewer than limits.max_instances (10000): raise it \
              (`ulimit -n`, or LimitNOFILE= in a systemd unit), or lower recording.max_active"
            ]
        );
    }

    #[test]
    fn every_file_a_recording_may_hold_counts_against_the_open_files_limit() {
        // Room for 10,000 calls alone; not with the 32 recordings of 65 files each besides.
        let files = headroom(20_020, None);
        let short = files.shortfalls(10_000, 64, 32, 0);
        assert_eq!(short.len(), 1, "{short:?}");
        assert!(
            short[0].contains("about 8960 calls besides recording.max_active (32)"),
            "{short:?}"
        );
        assert!(
            headroom(20_020 + 32 * 65, None)
                .shortfalls(10_000, 64, 32, 0)
                .is_empty()
        );
    }

    #[test]
    fn recordings_count_against_the_open_files_limit_only_where_recording_is_on() {
        let off = RecordingConfig::default();
        assert_eq!(recordings_possible(&off), 0, "no recording.dir: none");
        let on = RecordingConfig {
            dir: Some("/var/lib/switchyard/recordings".into()),
            ..RecordingConfig::default()
        };
        assert_eq!(recordings_possible(&on), 32);
        // Room for 10,000 calls alone: recording off asks for no more.
        let files = headroom(20_020, None);
        assert!(
            files
                .shortfalls(10_000, 64, recordings_possible(&off) as u64, 0)
                .is_empty()
        );
        let short = headroom(2_020, None).shortfalls(10_000, 64, 0, 0);
        assert_eq!(
            short,
            [
                "the open-files limit (2020, 20 in use) leaves room for about 1000 calls besides \
              up to 0 SIP TCP and control connections, fewer than limits.max_instances (10000): \
              raise it (`ulimit -n`, or LimitNOFILE= in a systemd unit)"
            ],
            "nothing said of recordings"
        );
    }

    #[test]
    fn every_connection_the_server_may_hold_counts_against_the_open_files_limit() {
        // 4,096 files: room for 1,500 calls and a recording, not with 1,280 connections too.
        let files = headroom(4_096, None);
        assert!(files.shortfalls(1_500, 64, 1, 0).is_empty());
        let short = files.shortfalls(1_500, 64, 1, 1_280);
        assert_eq!(short.len(), 1, "{short:?}");
        assert!(
            short[0].contains("about 1365 calls besides") && short[0].contains("1280 SIP TCP"),
            "{short:?}"
        );
    }

    #[test]
    fn a_low_map_count_names_the_instances_it_allows_and_how_to_raise_it() {
        let short = headroom(1_048_576, Some(65_530)).shortfalls(100_000, 64, 1, 0);
        assert_eq!(
            short,
            [
                "vm.max_map_count (65530, 100 in use) leaves room for about 16357 guest instances \
              of about 4 memory mappings each, fewer than limits.max_instances + \
              limits.control_instances (100064): raise it (`sysctl vm.max_map_count=…`)"
            ]
        );
        assert_eq!(
            headroom(1024, Some(1000)).shortfalls(2000, 0, 1, 0).len(),
            2
        );
    }

    #[test]
    fn this_process_reads_its_own_use_within_its_limits() {
        let own = Headroom::of_this_process().unwrap();
        assert!(
            own.open_files >= 3,
            "stdin, stdout and stderr at least: {own:?}"
        );
        assert!(own.open_files <= own.open_files_limit, "{own:?}");
        assert!(own.mappings > 0, "{own:?}");
        assert!(
            own.mappings_limit
                .is_some_and(|limit| limit >= own.mappings),
            "{own:?}"
        );
    }
}
