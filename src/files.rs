//! Files the tool reads and writes for the user, handled so that a path naming something
//! unexpected cannot hang the tool, exhaust its memory or destroy what the path names.
//!
//! - [`read_bounded`] reads regular files only (a FIFO would block for ever, `/dev/zero` never
//!   ends) and at most `limit + 1` bytes, whatever the file's metadata claims.
//! - [`write_private`] replaces a file atomically (a temporary file beside the target, flushed,
//!   then renamed over it), so a reader sees the old content or the new, never a mix. A symbolic
//!   link is written through to the file it names, not replaced; anything that exists and is not
//!   a regular file (a device, a FIFO, a directory) is refused. The file is left readable and
//!   writable by its owner only (mode 0600): it may hold secrets' fingerprints or tokens.

use std::fs::Metadata;
use std::io::{self, Read as _, Write as _};
use std::path::{Path, PathBuf};

/// Why a file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    /// The path exists but names a directory, a device, a FIFO or a socket.
    #[error("`{}` is not a regular file (it is {kind})", path.display())]
    NotRegular {
        /// The path as given.
        path: PathBuf,
        /// What it is instead, e.g. `a FIFO (named pipe)`.
        kind: &'static str,
    },
    /// The file is larger than the caller accepts.
    #[error("`{}` is {size} bytes, larger than the limit of {limit} bytes", path.display())]
    TooLarge {
        /// The path as given.
        path: PathBuf,
        /// Its size, as far as it was read (at least `limit + 1`).
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// The operating system refused.
    #[error("cannot {action} `{}`: {source}", path.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The path as given.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

impl FileError {
    /// What went wrong, without the path (for messages that name the file already).
    pub fn reason(&self) -> String {
        match self {
            FileError::NotRegular { kind, .. } => format!("not a regular file (it is {kind})"),
            FileError::TooLarge { size, limit, .. } => {
                format!("{size} bytes, larger than the limit of {limit} bytes")
            }
            FileError::Io { action, source, .. } => format!("cannot {action} it: {source}"),
        }
    }

    /// Whether the file does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, FileError::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
    }
}

/// The most symbolic links followed to find a write's target (as Linux's `ELOOP` limit).
const MAX_LINK_HOPS: usize = 40;

/// Reads the regular file at `path` (following symbolic links), refusing anything else and any
/// file of more than `limit` bytes. At most `limit + 1` bytes are read.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, FileError> {
    let fail = |source| FileError::Io {
        action: "read",
        path: path.to_path_buf(),
        source,
    };
    // Checked before opening: opening a FIFO for reading blocks until a writer comes.
    let meta = std::fs::metadata(path).map_err(fail)?;
    regular(path, &meta)?;
    let file = std::fs::File::open(path).map_err(fail)?;
    // And again on what was opened, in case the path changed in between.
    let meta = file.metadata().map_err(fail)?;
    regular(path, &meta)?;
    let too_large = |size: u64| FileError::TooLarge {
        path: path.to_path_buf(),
        size,
        limit,
    };
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let capacity = usize::try_from(meta.len()).unwrap_or(0);
    let mut bytes = Vec::with_capacity(capacity);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    let read = bytes.len() as u64;
    if read > limit {
        return Err(too_large(read.max(meta.len())));
    }
    Ok(bytes)
}

/// Replaces the content of `path` with `bytes` atomically, leaving it with mode 0600. A symbolic
/// link at `path` is followed (through any chain, even to a file that does not exist yet); an
/// existing target that is not a regular file is refused. The directory must exist.
pub fn write_private(path: &Path, bytes: &[u8]) -> Result<(), FileError> {
    let fail = |source| FileError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    };
    let target = target_of(path)?;
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let name = target
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    // tempfile creates the file with mode 0600, and the rename keeps it.
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(fail)?;
    temp.write_all(bytes).map_err(fail)?;
    temp.as_file().sync_all().map_err(fail)?;
    temp.persist(&target).map_err(|e| fail(e.error))?;
    // Make the rename itself durable; not every platform can open a directory.
    if let Ok(dir) = std::fs::File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// The file a write to `path` must replace: `path` itself, or the end of the chain of symbolic
/// links starting at it. Refuses an existing target that is not a regular file.
fn target_of(path: &Path) -> Result<PathBuf, FileError> {
    let fail = |source| FileError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    };
    match std::fs::metadata(path) {
        Ok(meta) => {
            regular(path, &meta)?;
            let is_link = std::fs::symlink_metadata(path)
                .map_err(fail)?
                .file_type()
                .is_symlink();
            if is_link {
                std::fs::canonicalize(path).map_err(fail)
            } else {
                Ok(path.to_path_buf())
            }
        }
        // Nothing there, or a link to something that does not exist yet: create it.
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut current = path.to_path_buf();
            for _ in 0..MAX_LINK_HOPS {
                match std::fs::symlink_metadata(&current) {
                    Ok(meta) if meta.file_type().is_symlink() => {
                        let next = std::fs::read_link(&current).map_err(fail)?;
                        current = match current.parent() {
                            Some(dir) if next.is_relative() => dir.join(next),
                            _ => next,
                        };
                    }
                    _ => return Ok(current),
                }
            }
            Err(fail(io::Error::other("too many levels of symbolic links")))
        }
        Err(e) => Err(fail(e)),
    }
}

/// Refuses anything but a regular file.
fn regular(path: &Path, meta: &Metadata) -> Result<(), FileError> {
    if meta.is_file() {
        Ok(())
    } else {
        Err(FileError::NotRegular {
            path: path.to_path_buf(),
            kind: kind_of(meta),
        })
    }
}

/// What a non-regular file is, in words.
fn kind_of(meta: &Metadata) -> &'static str {
    let kind = meta.file_type();
    if kind.is_dir() {
        return "a directory";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt as _;
        if kind.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "not a file"
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A FIFO at `path`, made with `mkfifo` (the standard library cannot).
    #[cfg(unix)]
    fn mkfifo(path: &Path) {
        let status = std::process::Command::new("mkfifo")
            .arg(path)
            .status()
            .expect("mkfifo runs");
        assert!(status.success());
    }

    #[cfg(unix)]
    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt as _;
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_bounded_read_takes_up_to_the_limit_and_refuses_one_byte_more() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"12345").unwrap();
        assert_eq!(read_bounded(&path, 5).unwrap(), b"12345");
        let err = read_bounded(&path, 4).unwrap_err();
        assert!(
            matches!(
                err,
                FileError::TooLarge {
                    size: 5,
                    limit: 4,
                    ..
                }
            ),
            "{err:?}"
        );
        assert!(
            read_bounded(&dir.path().join("nope"), 4)
                .unwrap_err()
                .is_not_found()
        );
    }

    #[cfg(unix)]
    #[test]
    fn a_bounded_read_refuses_fifos_devices_and_directories_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("f.yaml");
        mkfifo(&fifo);
        let err = read_bounded(&fifo, 10).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "`{}` is not a regular file (it is a FIFO (named pipe))",
                fifo.display()
            )
        );
        let link = dir.path().join("zero.yaml");
        std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
        let err = read_bounded(&link, 10).unwrap_err();
        assert!(
            err.to_string().ends_with("(it is a character device)"),
            "{err}"
        );
        let err = read_bounded(dir.path(), 10).unwrap_err();
        assert!(err.to_string().ends_with("(it is a directory)"), "{err}");
    }

    #[test]
    fn a_private_write_replaces_the_file_with_mode_0600_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        std::fs::write(&path, "old").unwrap();
        write_private(&path, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "new");
        #[cfg(unix)]
        assert_eq!(mode(&path), 0o600);
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["plan.json"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_private_write_goes_through_symbolic_links_even_dangling_ones() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("real")).unwrap();
        let target = dir.path().join("real/plan.json");
        std::fs::write(&target, "old").unwrap();
        let link = dir.path().join("plan.json");
        std::os::unix::fs::symlink("real/plan.json", &link).unwrap();
        write_private(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
        assert_eq!(mode(&target), 0o600);

        // A chain of links to a file that does not exist yet creates that file.
        let second = dir.path().join("second");
        std::os::unix::fs::symlink("real/later.json", &second).unwrap();
        let first = dir.path().join("first");
        std::os::unix::fs::symlink("second", &first).unwrap();
        write_private(&first, b"x").unwrap();
        assert!(
            std::fs::symlink_metadata(&first)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert!(
            std::fs::symlink_metadata(&second)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            std::fs::read_to_string(dir.path().join("real/later.json")).unwrap(),
            "x"
        );

        // A loop of links is an error, not a hang.
        let a = dir.path().join("a");
        let b = dir.path().join("b");
        std::os::unix::fs::symlink("b", &a).unwrap();
        std::os::unix::fs::symlink("a", &b).unwrap();
        assert!(write_private(&a, b"x").is_err());
    }

    #[cfg(unix)]
    #[test]
    fn a_private_write_refuses_what_is_not_a_regular_file_and_leaves_it_alone() {
        use std::os::unix::fs::FileTypeExt as _;
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        mkfifo(&fifo);
        let link = dir.path().join("out.json");
        std::os::unix::fs::symlink("fifo", &link).unwrap();
        for path in [&fifo, &link] {
            let err = write_private(path, b"x").unwrap_err();
            assert_eq!(
                err.to_string(),
                format!(
                    "`{}` is not a regular file (it is a FIFO (named pipe))",
                    path.display()
                )
            );
        }
        assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).unwrap();
        let err = write_private(&sub, b"x").unwrap_err();
        assert!(err.to_string().ends_with("(it is a directory)"), "{err}");
        assert!(sub.is_dir());
        let mut names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["fifo", "out.json", "sub"]);
    }
}
