//! `container.*`: the container of the event's thread.
//!
//! The container id comes from the thread's cgroups (`host` when there is none); the start
//! time from the thread's pid namespace; name, image and the rest from the container events a
//! capture may carry (`PPME_CONTAINER_JSON_E`). This built-in provider declares every
//! extraction field of the falcosecurity `container` plugin up to version 0.4.1 (see
//! `docs/inspector.md`), so rules requiring that plugin load unchanged.

use falco_engine::{ArgSpec, FieldArg, FieldType as T, ValueSink};

use super::{Def, Kind, def};
use crate::capture::SyscallEvent;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum F {
    Id,
    FullId,
    Name,
    Image,
    ImageId,
    ImageRepository,
    ImageTag,
    ImageDigest,
    Type,
    Privileged,
    Mounts,
    Mount,
    MountSource,
    MountDest,
    MountMode,
    MountRdwr,
    MountPropagation,
    Ip,
    CniJson,
    CreatedTime,
    StartTs,
    Duration,
    Healthcheck,
    LivenessProbe,
    ReadinessProbe,
    HostPid,
    HostNetwork,
    HostIpc,
    Label,
    Labels,
}

pub(crate) fn defs() -> Vec<Def> {
    use F::*;
    let k = Kind::Container;
    let mount = |name: &'static str, desc: &'static str, f: F| {
        def(name, T::CharBuf, desc, k(f)).arg(ArgSpec::REQUIRED_INDEX_OR_KEY)
    };
    vec![
        def("container.id", T::CharBuf, "the container id (12 characters), or 'host'", k(Id)),
        def("container.full_id", T::CharBuf, "the full container id, or 'host'", k(FullId)),
        def("container.name", T::CharBuf, "the container name, or 'host'", k(Name)),
        def("container.image", T::CharBuf, "the container image", k(Image)),
        def("container.image.id", T::CharBuf, "the container image id", k(ImageId)),
        def("container.image.repository", T::CharBuf, "the image repository", k(ImageRepository)),
        def("container.image.tag", T::CharBuf, "the container image tag", k(ImageTag)),
        def("container.image.digest", T::CharBuf, "the container image digest", k(ImageDigest)),
        def("container.type", T::CharBuf, "the container runtime (docker, cri-o, ...)", k(Type)),
        def("container.privileged", T::Bool, "true for privileged containers", k(Privileged)),
        def("container.mounts", T::CharBuf, "the container mounts", k(Mounts)),
        mount("container.mount", "one mount, by index or source", Mount),
        mount("container.mount.source", "a mount's source, by index or destination", MountSource),
        mount("container.mount.dest", "a mount's destination, by index or source", MountDest),
        mount("container.mount.mode", "a mount's mode, by index or source", MountMode),
        mount("container.mount.rdwr", "a mount's rdwr value, by index or source", MountRdwr),
        mount("container.mount.propagation", "a mount's propagation", MountPropagation),
        def("container.ip", T::CharBuf, "the container IP address", k(Ip)),
        def("container.cni.json", T::CharBuf, "the pod's CNI result (JSON)", k(CniJson)),
        def("container.created_time", T::AbsTime, "container creation time", k(CreatedTime)),
        def(
            "container.start_ts",
            T::AbsTime,
            "container start (ns since the epoch): the start of the thread's pid namespace",
            k(StartTs),
        ),
        def("container.duration", T::RelTime, "nanoseconds since container.start_ts", k(Duration)),
        def("container.healthcheck", T::CharBuf, "the container health check", k(Healthcheck)),
        def("container.liveness_probe", T::CharBuf, "the liveness probe", k(LivenessProbe)),
        def("container.readiness_probe", T::CharBuf, "the readiness probe", k(ReadinessProbe)),
        def("container.host_pid", T::Bool, "true in the host pid namespace", k(HostPid)),
        def("container.host_network", T::Bool, "true in the host network", k(HostNetwork)),
        def("container.host_ipc", T::Bool, "true in the host IPC namespace", k(HostIpc)),
        def("container.label", T::CharBuf, "one container label", k(Label))
            .arg(ArgSpec::REQUIRED_KEY),
        def("container.labels", T::CharBuf, "the container labels", k(Labels)),
    ]
}

pub(crate) fn extract(f: F, evt: &SyscallEvent<'_>, _arg: &FieldArg, out: &mut ValueSink<'_>) {
    use F::*;
    let Some(t) = evt.thread() else { return };
    let host = t.container_id.is_empty();
    match f {
        Id | FullId => {
            if host {
                out.push_str("host")
            } else {
                out.push_bytes(&t.container_id)
            }
            return;
        }
        Name | Type if host => {
            out.push_str("host");
            return;
        }
        // From the kernel's view of the thread, not from the container engine.
        StartTs | Duration => {
            if !host && t.pidns_init_start_ts != 0 {
                if f == StartTs {
                    out.push_u64(t.pidns_init_start_ts);
                } else {
                    out.push_u64(evt.raw().ts().saturating_sub(t.pidns_init_start_ts));
                }
            }
            return;
        }
        _ if host => return,
        _ => {}
    }
    let Some(c) = evt.state().containers.get(&t.container_id) else {
        return;
    };
    let nonempty = |out: &mut ValueSink<'_>, s: &str| {
        if !s.is_empty() {
            out.push_str(s)
        }
    };
    match f {
        Name => nonempty(out, &c.name),
        Image => nonempty(out, &c.image),
        ImageId => nonempty(out, &c.image_id),
        ImageRepository => nonempty(out, &c.image_repository),
        ImageTag => nonempty(out, &c.image_tag),
        ImageDigest => nonempty(out, &c.image_digest),
        Type => nonempty(out, &c.container_type),
        Privileged => out.push_bool(c.privileged.unwrap_or(false)),
        Ip => {
            if let Some(ip) = &c.ip {
                out.push_str(ip)
            }
        }
        CreatedTime => {
            if let Some(ts) = c.created_time {
                // Container engines report seconds.
                out.push_u64((ts as u64).saturating_mul(1_000_000_000))
            }
        }
        _ => {}
    }
}
