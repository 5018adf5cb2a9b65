//! `switchyard`: a SIP softswitch whose call logic is WebAssembly.

fn main() -> std::process::ExitCode {
    switchyard::run()
}
