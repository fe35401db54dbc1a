//! The `apify-webhooks` binary: everything lives in the library; this only hands over.

fn main() -> std::process::ExitCode {
    apify_webhooks::cli::main()
}
