//! Reading the files inputs name (`config`, `template`, `dotenv-file`): only regular files inside the
//! workspace, at most 1 MiB, and their content never appears in an error.
//!
//! The workspace is `GITHUB_WORKSPACE` in Actions mode (the checkout), the current directory on
//! the CLI, or `--workspace`. A path is resolved against it and every symlink is followed before
//! the check, so `../../etc/passwd` and a committed symlink pointing out of the checkout are both
//! refused without being read.

use std::io::Read;
use std::path::{Path, PathBuf};

use crate::error::UserError;
use crate::text::printable;

/// The largest file an input may name.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// The directory files are read from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    root: PathBuf,
}

impl Workspace {
    /// The workspace at `given` (`GITHUB_WORKSPACE` or `--workspace`), else the current directory.
    pub fn resolve(given: Option<&str>) -> Result<Self, UserError> {
        let given = given.map(str::trim).filter(|g| !g.is_empty());
        let path = match given {
            Some(dir) => PathBuf::from(dir),
            None => std::env::current_dir().map_err(|err| {
                UserError::new(format!("the current directory cannot be read: {err}"))
            })?,
        };
        let root = path.canonicalize().map_err(|err| {
            UserError::new(format!(
                "the workspace `{}` cannot be read: {err}",
                printable(&path.to_string_lossy())
            ))
            .hint("set `--workspace` to the repository checkout")
        })?;
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Reads the file `path` (relative to the workspace, or absolute inside it) that input
    /// `input` names, as UTF-8 text.
    pub fn read(&self, input: &str, path: &str) -> Result<String, UserError> {
        let shown = printable(path);
        let root = self.root.display().to_string();
        let joined = self.root.join(path);
        let real = joined.canonicalize().map_err(|err| {
            let what = if err.kind() == std::io::ErrorKind::NotFound {
                "was not found".to_string()
            } else {
                format!("cannot be read ({err})")
            };
            UserError::new(format!("input `{input}`: `{shown}` {what}")).hint(format!(
                "paths are relative to the workspace `{root}` (the checkout: add `actions/checkout` before this step)"
            ))
        })?;
        if !real.starts_with(&self.root) {
            return Err(UserError::new(format!(
                "input `{input}`: `{shown}` is outside the workspace `{root}`"
            ))
            .hint("files are read from the repository checkout only, after following symlinks"));
        }
        let refuse = |why: String| UserError::new(format!("input `{input}`: `{shown}` {why}"));
        let meta =
            std::fs::metadata(&real).map_err(|err| refuse(format!("cannot be read ({err})")))?;
        if !meta.is_file() {
            return Err(refuse("is not a regular file".into()));
        }
        check_size(meta.len()).map_err(refuse)?;
        let file =
            std::fs::File::open(&real).map_err(|err| refuse(format!("cannot be read ({err})")))?;
        // The file may have changed since the check: look at what was opened, and read no more
        // than the limit whatever it says now.
        let opened = file
            .metadata()
            .map_err(|err| refuse(format!("cannot be read ({err})")))?;
        if !opened.is_file() {
            return Err(refuse("is not a regular file".into()));
        }
        let mut bytes = Vec::new();
        file.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|err| refuse(format!("cannot be read ({err})")))?;
        check_size(bytes.len() as u64).map_err(refuse)?;
        String::from_utf8(bytes).map_err(|err| {
            refuse(format!(
                "is not UTF-8 text (at byte {})",
                err.utf8_error().valid_up_to()
            ))
        })
    }
}

fn check_size(len: u64) -> Result<(), String> {
    if len > MAX_FILE_BYTES {
        Err(format!("is {len} bytes; files are read up to 1 MiB"))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::symlink;

    use super::*;

    fn workspace() -> (tempfile::TempDir, Workspace) {
        let dir = tempfile::tempdir().unwrap();
        let ws = Workspace::resolve(Some(dir.path().to_str().unwrap())).unwrap();
        (dir, ws)
    }

    #[test]
    fn files_inside_are_read_relative_or_absolute() {
        let (dir, ws) = workspace();
        std::fs::create_dir(dir.path().join(".github")).unwrap();
        std::fs::write(dir.path().join(".github/ecs-ship.yml"), "a: 1\n").unwrap();
        assert_eq!(ws.read("config", ".github/ecs-ship.yml").unwrap(), "a: 1\n");
        let absolute = dir.path().join(".github/ecs-ship.yml");
        assert_eq!(
            ws.read("config", absolute.to_str().unwrap()).unwrap(),
            "a: 1\n"
        );
        // A symlink that stays inside is fine.
        symlink("ecs-ship.yml", dir.path().join(".github/link.yml")).unwrap();
        assert_eq!(ws.read("config", ".github/link.yml").unwrap(), "a: 1\n");
    }

    #[test]
    fn paths_and_symlinks_leaving_the_workspace_are_refused_unread() {
        let (dir, ws) = workspace();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(outside.path().join("secret"), "S3CR3T\n").unwrap();
        symlink(
            outside.path().join("secret"),
            dir.path().join("ecs-ship.yml"),
        )
        .unwrap();
        for path in [
            "ecs-ship.yml".to_string(),
            "../../../../../../etc/passwd".to_string(),
            outside.path().join("secret").display().to_string(),
        ] {
            let err = ws.read("config", &path).unwrap_err();
            assert!(
                err.message.contains("is outside the workspace"),
                "{path}: {}",
                err.message
            );
            assert!(!err.message.contains("S3CR3T") && !err.message.contains("root:"));
        }
    }

    #[test]
    fn only_regular_small_utf8_files_are_read() {
        let (dir, ws) = workspace();
        std::fs::create_dir(dir.path().join("d")).unwrap();
        assert!(
            ws.read("config", "d")
                .unwrap_err()
                .message
                .ends_with("is not a regular file")
        );
        assert!(
            ws.read("config", "missing.yml")
                .unwrap_err()
                .message
                .ends_with("was not found")
        );
        std::fs::write(dir.path().join("big"), vec![b'a'; 1024 * 1024 + 1]).unwrap();
        assert_eq!(
            ws.read("template", "big").unwrap_err().message,
            "input `template`: `big` is 1048577 bytes; files are read up to 1 MiB"
        );
        std::fs::write(dir.path().join("bin"), [b'{', 0xff, 0xfe]).unwrap();
        assert!(
            ws.read("config", "bin")
                .unwrap_err()
                .message
                .ends_with("is not UTF-8 text (at byte 1)")
        );
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            assert!(
                ws.read("config", "fifo")
                    .unwrap_err()
                    .message
                    .ends_with("is not a regular file")
            );
        }
    }
}
