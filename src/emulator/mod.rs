//! A local Apify API v2 emulator for tests, demos and `--local`. Knows nothing of manifests.
