//! Path joining as libsinsp does it for fd names and resolved path arguments.
//!
//! A relative path is appended to a base directory (the thread's cwd, or a directory fd's
//! path, which both end in `/`), then normalized: `./` is dropped, `../` climbs one level,
//! repeated separators collapse, non-printable bytes become `.`, and a trailing `/` is removed.

/// Writes `base` + `path` normalized into `out` (cleared first) if `path` is relative and
/// returns true; for an absolute (or empty) path writes the normalized `path` and returns false.
///
/// ```text
/// let mut out = Vec::new();
/// assert!(concatenate(&mut out, b"/home/u/", b"../x/./y/"));
/// assert_eq!(out, b"/home/x/y");
/// ```
pub(crate) fn concatenate(out: &mut Vec<u8>, base: &[u8], path: &[u8]) -> bool {
    out.clear();
    if !path.is_empty() && path[0] != b'/' {
        out.extend_from_slice(base);
        sanitize_into(out, 0, path);
        true
    } else {
        sanitize_into(out, 0, path);
        false
    }
}

/// Appends `path` to `out` (which holds the base directory, or nothing), normalized as
/// [`concatenate`] does.
pub(crate) fn append(out: &mut Vec<u8>, path: &[u8]) {
    sanitize_into(out, 0, path);
}

/// True if normalizing `path` after `prev` (the last byte already written) would copy it
/// unchanged: printable, no `.` component start, no `//`, no trailing `/`.
#[inline]
fn is_clean(prev: Option<u8>, path: &[u8]) -> bool {
    let mut last = prev.unwrap_or(b'/');
    for &c in path {
        if !(0x20..0x7f).contains(&c) || (last == b'/' && (c == b'/' || c == b'.')) {
            return false;
        }
        last = c;
    }
    path.last() != Some(&b'/')
}

/// Appends `path` to `out` normalized; `base` is the index in `out` past which `..` cannot
/// climb.
fn sanitize_into(out: &mut Vec<u8>, base: usize, path: &[u8]) {
    let path = match path.iter().position(|c| *c == 0) {
        Some(p) => &path[..p],
        None => path,
    };
    if !path.is_empty() && is_clean(out.last().copied(), path) {
        out.extend_from_slice(path);
        return;
    }
    let at = |i: usize| -> u8 { path.get(i).copied().unwrap_or(0) };
    let mut i = 0;
    loop {
        let c = at(i);
        if c == 0 {
            if out.len() > base + 1 && out.last() == Some(&b'/') {
                out.pop();
            }
            return;
        }
        if !(0x20..0x7f).contains(&c) {
            out.push(b'.');
            i += 1;
        } else if c == b'.' && at(i + 1) == b'.' && at(i + 2) == b'/' {
            rewind(out, base);
            i += 3;
        } else if c == b'.' && at(i + 1) == b'.' {
            if at(i + 2) == 0 {
                rewind(out, base);
                i += 2;
            } else {
                out.extend_from_slice(b"..");
                i += 2;
            }
        } else if c == b'.' && at(i + 1) == b'/' {
            i += 2;
        } else if c == b'.' {
            if at(i + 1) == 0 {
                i += 1;
            } else {
                out.push(c);
                i += 1;
            }
        } else if c == b'/' {
            if out.len() > base && out.last() == Some(&b'/') {
                i += 1;
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
}

/// Moves the end of `out` back to just after the previous separator (libsinsp's
/// `rewind_to_parent_path`).
fn rewind(out: &mut Vec<u8>, base: usize) {
    if out.len() <= base + 1 {
        return;
    }
    out.pop();
    while out.len() > base + 1 && out[out.len() - 1] != b'/' {
        out.pop();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cat(base: &str, p: &str) -> (bool, String) {
        let mut out = Vec::new();
        let rel = concatenate(&mut out, base.as_bytes(), p.as_bytes());
        (rel, String::from_utf8(out).unwrap())
    }

    #[test]
    fn joins_and_normalizes() {
        assert_eq!(cat("/home/u/", "a.txt"), (true, "/home/u/a.txt".into()));
        assert_eq!(cat("/home/u/", "../x/./y/"), (true, "/home/x/y".into()));
        assert_eq!(cat("/home/u/", "."), (true, "/home/u".into()));
        assert_eq!(cat("/", ".."), (true, "/".into()));
        assert_eq!(cat("/tmp/", "/etc//passwd"), (false, "/etc/passwd".into()));
        assert_eq!(cat("/tmp/", ""), (false, "".into()));
    }
}
