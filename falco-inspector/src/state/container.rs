//! Containers: the container id a thread's cgroups name, and container metadata from the
//! capture's container events (`PPME_CONTAINER_JSON_E`).

use rustc_hash::FxHashMap;

/// What is known of one container.
#[derive(Clone, Debug, Default, PartialEq)]
#[allow(missing_docs)]
pub struct ContainerInfo {
    pub id: String,
    pub name: String,
    pub image: String,
    pub image_repository: String,
    pub image_tag: String,
    pub image_digest: String,
    pub image_id: String,
    pub container_type: String,
    pub privileged: Option<bool>,
    pub created_time: Option<i64>,
    pub ip: Option<String>,
}

/// Containers by id.
#[derive(Debug, Default)]
pub struct Containers {
    map: FxHashMap<Vec<u8>, ContainerInfo>,
}

impl Containers {
    /// The container with this id.
    pub fn get(&self, id: &[u8]) -> Option<&ContainerInfo> {
        self.map.get(id)
    }

    pub(crate) fn insert(&mut self, c: ContainerInfo) {
        self.map.insert(c.id.as_bytes().to_vec(), c);
    }

    /// Parses a container JSON event payload (`{"container": {...}}`) and records it.
    pub(crate) fn add_json(&mut self, json: &[u8]) -> bool {
        let Ok(v) = serde_json::from_slice::<serde_json::Value>(json) else {
            return false;
        };
        let Some(c) = v.get("container") else {
            return false;
        };
        let s = |k: &str| c.get(k).and_then(|x| x.as_str()).unwrap_or("").to_string();
        let Some(id) = c.get("id").and_then(|x| x.as_str()) else {
            return false;
        };
        let info = ContainerInfo {
            id: id.to_string(),
            name: s("name"),
            image: s("image"),
            image_repository: s("imagerepo"),
            image_tag: s("imagetag"),
            image_digest: s("imagedigest"),
            image_id: s("imageid"),
            container_type: match c.get("type").and_then(|x| x.as_i64()) {
                Some(0) => "docker",
                Some(1) => "lxc",
                Some(2) => "libvirt-lxc",
                Some(3) => "mesos",
                Some(4) => "rkt",
                Some(5) => "cri",
                Some(6) => "containerd",
                Some(7) => "cri-o",
                Some(8) => "bpm",
                Some(9) => "static",
                Some(10) => "podman",
                _ => "",
            }
            .to_string(),
            privileged: c.get("privileged").and_then(|x| x.as_bool()),
            created_time: c.get("created_time").and_then(|x| x.as_i64()),
            ip: c.get("ip").and_then(|x| x.as_str()).map(str::to_string),
        };
        self.insert(info);
        true
    }
}

fn is_hex_id(s: &[u8]) -> bool {
    s.len() >= 12 && s.iter().all(|c| c.is_ascii_hexdigit())
}

/// The container id in one cgroup path, as libsinsp's cgroup matchers find it (docker,
/// cri-o, containerd, podman/libpod, kubepods), truncated to 12 characters.
pub fn container_id_from_cgroup(path: &[u8]) -> Option<Vec<u8>> {
    for comp in path.split(|c| *c == b'/').rev() {
        let mut c = comp;
        for suffix in [&b".scope"[..]] {
            if let Some(s) = c.strip_suffix(suffix) {
                c = s;
            }
        }
        for prefix in [&b"docker-"[..], b"crio-", b"cri-containerd-", b"libpod-", b"containerd-"] {
            if let Some(s) = c.strip_prefix(prefix) {
                c = s;
            }
        }
        if c.len() == 64 && is_hex_id(c) {
            return Some(c[..12].to_vec());
        }
    }
    None
}

/// The container id named by a thread's cgroups, empty for the host.
pub fn container_id_from_cgroups(cgroups: &[(Vec<u8>, Vec<u8>)]) -> Vec<u8> {
    for (_, path) in cgroups {
        if let Some(id) = container_id_from_cgroup(path) {
            return id;
        }
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_docker_ids() {
        let id = "3ad7b26ded6d8e7b23da7d48fe889434573036c27ae5a74837233de441c3601e";
        let p = format!("/docker/{id}");
        assert_eq!(container_id_from_cgroup(p.as_bytes()).unwrap(), b"3ad7b26ded6d");
        let p = format!("/system.slice/docker-{id}.scope");
        assert_eq!(container_id_from_cgroup(p.as_bytes()).unwrap(), b"3ad7b26ded6d");
        assert_eq!(container_id_from_cgroup(b"/user.slice/user-1000.slice/session-1.scope"), None);
    }
}
