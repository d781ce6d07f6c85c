//! Files that hold secrets or lease ids, and the folders vaultlab keeps them in.
//!
//! A file is replaced all at once: a temporary file beside it, created exclusively
//! (`O_EXCL`) under a random name with mode 0600 from its first byte, synced, then renamed
//! over it. A predictable temporary name would let anyone who can write to the folder plant
//! a symlink there and have the secrets written through it. Folders vaultlab creates are
//! 0700, its files 0600. Reading is capped: a state file is never a device or a stream.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

/// Replaces `path` with `bytes`, durably: once this returns, a crash leaves either the old
/// file or the new one, never a mix, and the new one survives.
pub fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = parent_dir(path);
    let file_name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut temp = tempfile::Builder::new()
        .prefix(&format!(".{file_name}."))
        .suffix(".tmp")
        .tempfile_in(&dir)?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    // On failure the temporary file is removed when `persist`'s error drops it.
    temp.persist(path).map_err(|e| e.error)?;
    sync_dir(&dir)
}

/// Makes a rename or a new file in `dir` durable: the directory entry must be synced too.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        fs::File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

/// The folder a file lives in (`.` for a bare file name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Creates `dir` and any missing parents with mode 0700, and narrows `dir` itself to 0700
/// if an older vaultlab made it readable by others. For vaultlab's own folders only (its
/// state, lease journal and log), never for a folder the user named.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        let mode = fs::metadata(dir)?.permissions().mode();
        if mode & 0o077 != 0 {
            fs::set_permissions(dir, fs::Permissions::from_mode(mode & 0o700))?;
        }
        Ok(())
    }
    #[cfg(not(unix))]
    {
        fs::create_dir_all(dir)
    }
}

/// Opens `path` for appending, creating it with mode 0600; one an older vaultlab made
/// readable by others is narrowed to 0600. For logs and lock files.
pub fn open_private_append(path: &Path) -> io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = file.metadata()?.permissions().mode();
        if mode & 0o077 != 0 {
            file.set_permissions(fs::Permissions::from_mode(mode & 0o700))?;
        }
    }
    Ok(file)
}

/// Reads a whole file of at most `cap` bytes. A device, a pipe or a folder is refused
/// before a byte is read (`/dev/full` and `/dev/zero` never end), and so is a file
/// larger than `cap`; both as `InvalidData` errors that say why.
pub fn read_capped(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let file = fs::File::open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("it is not a regular file but {}", kind_of(&metadata)),
        ));
    }
    let too_big = || {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "it is larger than {}, the most vaultlab reads from such a file",
                human_size(cap)
            ),
        )
    };
    if metadata.len() > cap {
        return Err(too_big());
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0));
    // The file may grow while it is read: the cap holds for what is read, not only for
    // what the metadata said.
    file.take(cap + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(too_big());
    }
    Ok(bytes)
}

fn kind_of(metadata: &fs::Metadata) -> &'static str {
    let kind = metadata.file_type();
    if kind.is_dir() {
        return "a folder";
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if kind.is_char_device() {
            return "a character device";
        }
        if kind.is_block_device() {
            return "a block device";
        }
        if kind.is_fifo() {
            return "a pipe";
        }
        if kind.is_socket() {
            return "a socket";
        }
    }
    "a special file"
}

fn human_size(bytes: u64) -> String {
    const MIB: u64 = 1 << 20;
    if bytes >= MIB && bytes.is_multiple_of(MIB) {
        format!("{} MiB", bytes / MIB)
    } else {
        format!("{bytes} bytes")
    }
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        fs::symlink_metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_symlink_planted_at_the_old_temporary_name_is_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let victim = dir.path().join("victim");
        fs::write(&victim, "untouched").unwrap();
        let state = dir.path().join("state.json");
        // Where the writer of earlier versions put its temporary file.
        let predictable = dir
            .path()
            .join(format!(".state.json.tmp-{}", std::process::id()));
        std::os::unix::fs::symlink(&victim, &predictable).unwrap();

        write_private(&state, b"{\"secret\":1}").unwrap();

        assert_eq!(fs::read_to_string(&victim).unwrap(), "untouched");
        assert_eq!(fs::read_to_string(&state).unwrap(), "{\"secret\":1}");
        assert_eq!(mode(&state), 0o600);
        assert!(fs::symlink_metadata(&state).unwrap().is_file());
    }

    #[test]
    fn a_stale_readable_temporary_file_does_not_make_the_result_readable() {
        let dir = tempfile::tempdir().unwrap();
        let state = dir.path().join("state.json");
        let stale = dir
            .path()
            .join(format!(".state.json.tmp-{}", std::process::id()));
        fs::write(&stale, "old").unwrap();
        fs::set_permissions(&stale, fs::Permissions::from_mode(0o644)).unwrap();
        fs::write(&state, "old").unwrap();
        fs::set_permissions(&state, fs::Permissions::from_mode(0o644)).unwrap();

        write_private(&state, b"new").unwrap();

        assert_eq!(mode(&state), 0o600);
        assert_eq!(fs::read_to_string(&state).unwrap(), "new");
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }

    #[test]
    fn folders_are_made_private_and_old_readable_ones_narrowed() {
        let dir = tempfile::tempdir().unwrap();
        let nested = dir.path().join("share/vaultlab/leases");
        create_private_dir(&nested).unwrap();
        assert_eq!(mode(&nested), 0o700);
        assert_eq!(mode(&dir.path().join("share/vaultlab")), 0o700);

        let old = dir.path().join("old");
        fs::create_dir(&old).unwrap();
        fs::set_permissions(&old, fs::Permissions::from_mode(0o755)).unwrap();
        create_private_dir(&old).unwrap();
        assert_eq!(mode(&old), 0o700);
    }

    #[test]
    fn logs_and_locks_are_private_even_when_an_old_one_was_not() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("vaultlab.log");
        open_private_append(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o600);

        let old = dir.path().join("journal.lock");
        fs::write(&old, "").unwrap();
        fs::set_permissions(&old, fs::Permissions::from_mode(0o644)).unwrap();
        let mut file = open_private_append(&old).unwrap();
        file.write_all(b"x").unwrap();
        assert_eq!(mode(&old), 0o600);
    }

    #[test]
    fn devices_and_oversized_files_are_refused_before_being_read() {
        let err = read_capped(Path::new("/dev/full"), 1 << 20).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData);
        assert_eq!(
            err.to_string(),
            "it is not a regular file but a character device"
        );

        let dir = tempfile::tempdir().unwrap();
        let huge = dir.path().join("huge");
        fs::File::create(&huge)
            .unwrap()
            .set_len((1 << 20) + 1)
            .unwrap();
        let err = read_capped(&huge, 1 << 20).unwrap_err();
        assert_eq!(
            err.to_string(),
            "it is larger than 1 MiB, the most vaultlab reads from such a file"
        );

        let small = dir.path().join("small");
        fs::write(&small, "ok").unwrap();
        assert_eq!(read_capped(&small, 2).unwrap(), b"ok");
        let err = read_capped(&dir.path().join("missing"), 2).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::NotFound);
    }
}
