//! `container.*`: the container of the event's thread.
//!
//! The container id comes from the thread's cgroups (`host` when there is none); name,
//! image and the rest come from the container events a capture may carry. This built-in
//! provider covers the fields of the falcosecurity `container` plugin that upstream rules use
//! (see `docs/inspector.md` for the plugin version it stands in for).

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
    Ip,
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
    Cmdline,
}

pub(crate) fn defs() -> Vec<Def> {
    use F::*;
    let k = Kind::Container;
    vec![
        def(
            "container.id",
            T::CharBuf,
            "the container id (12 characters), or 'host'",
            k(Id),
        ),
        def(
            "container.full_id",
            T::CharBuf,
            "the full container id, or 'host'",
            k(FullId),
        ),
        def(
            "container.name",
            T::CharBuf,
            "the container name, or 'host'",
            k(Name),
        ),
        def(
            "container.image",
            T::CharBuf,
            "the container image",
            k(Image),
        ),
        def(
            "container.image.id",
            T::CharBuf,
            "the container image id",
            k(ImageId),
        ),
        def(
            "container.image.repository",
            T::CharBuf,
            "the container image repository",
            k(ImageRepository),
        ),
        def(
            "container.image.tag",
            T::CharBuf,
            "the container image tag",
            k(ImageTag),
        ),
        def(
            "container.image.digest",
            T::CharBuf,
            "the container image digest",
            k(ImageDigest),
        ),
        def(
            "container.type",
            T::CharBuf,
            "the container runtime (docker, cri-o, ...)",
            k(Type),
        ),
        def(
            "container.privileged",
            T::Bool,
            "true for privileged containers",
            k(Privileged),
        ),
        def(
            "container.mounts",
            T::CharBuf,
            "the container mounts",
            k(Mounts),
        ),
        def(
            "container.mount",
            T::CharBuf,
            "one container mount",
            k(Mount),
        )
        .arg(ArgSpec::REQUIRED_INDEX_OR_KEY),
        def(
            "container.ip",
            T::CharBuf,
            "the container IP address",
            k(Ip),
        ),
        def(
            "container.created_time",
            T::AbsTime,
            "container creation time",
            k(CreatedTime),
        ),
        def(
            "container.start_ts",
            T::AbsTime,
            "container start time (ns since the epoch)",
            k(StartTs),
        ),
        def(
            "container.duration",
            T::RelTime,
            "nanoseconds since the container started",
            k(Duration),
        ),
        def(
            "container.healthcheck",
            T::CharBuf,
            "the container health check",
            k(Healthcheck),
        ),
        def(
            "container.liveness_probe",
            T::CharBuf,
            "the container liveness probe",
            k(LivenessProbe),
        ),
        def(
            "container.readiness_probe",
            T::CharBuf,
            "the container readiness probe",
            k(ReadinessProbe),
        ),
        def(
            "container.host_pid",
            T::Bool,
            "true if the container shares the host pid namespace",
            k(HostPid),
        ),
        def(
            "container.host_network",
            T::Bool,
            "true if the container shares the host network",
            k(HostNetwork),
        ),
        def(
            "container.host_ipc",
            T::Bool,
            "true if the container shares the host IPC namespace",
            k(HostIpc),
        ),
        def(
            "container.label",
            T::CharBuf,
            "one container label",
            k(Label),
        )
        .arg(ArgSpec::REQUIRED_KEY),
        def(
            "container.labels",
            T::CharBuf,
            "the container labels",
            k(Labels),
        ),
        def(
            "container.cmdline",
            T::CharBuf,
            "the container entrypoint and arguments",
            k(Cmdline),
        ),
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
        _ => {}
    }
    if host {
        if f == Name {
            out.push_str("host");
        }
        return;
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
        CreatedTime | StartTs => {
            if let Some(ts) = c.created_time {
                out.push_u64((ts as u64).saturating_mul(if ts < 1 << 34 {
                    1_000_000_000
                } else {
                    1
                }))
            }
        }
        Duration => {
            if let Some(ts) = c.created_time {
                let start =
                    (ts as u64).saturating_mul(if ts < 1 << 34 { 1_000_000_000 } else { 1 });
                out.push_u64(evt.raw().ts().saturating_sub(start));
            }
        }
        _ => {}
    }
}
