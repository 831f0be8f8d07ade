"""What the synthetic AI GYM platform consists of: hosts, services and their normal
behaviour.

The numbers are chosen so that calm is OK against the default thresholds (SPEC §2-3:
CPU warning 70 %, memory 80 %, disk 80 %, p95 2 s, 5xx 1 %) at any hour, including the
daily peak and the worst noise; only the scripted incident crosses them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class HostSpec:
    """A host and how its node-exporter gauges behave.

    CPU % = cpu_base + cpu_load * daily load ± cpu_noise + incident_cpu * intensity.
    """

    name: str
    agent_id: str  # the Wazuh agent id of this host
    cpu_base: float
    cpu_load: float
    mem_base: float
    mem_load: float
    disk_base: float
    #: slow drift (±) of the disk gauge: log rotation, temp files
    disk_swing: float
    net_base: float  # bytes/s at night
    net_load: float  # extra bytes/s at the daily peak
    incident_cpu: float = 0.0
    incident_mem: float = 0.0
    cpu_noise: float = 4.0


HOSTS: tuple[HostSpec, ...] = (
    # The API hosts carry the incident: their CPU may reach the warning band (never 85).
    HostSpec("aigym-api-1", "001", 18, 30, 44, 8, 41, 1.5, 2.5e6, 9.0e6,
             incident_cpu=26, incident_mem=6),
    HostSpec("aigym-api-2", "002", 16, 30, 41, 8, 38, 1.5, 2.3e6, 8.5e6,
             incident_cpu=24, incident_mem=6),
    HostSpec("aigym-edge-1", "003", 12, 24, 36, 6, 29, 1.0, 5.0e6, 2.0e7, incident_cpu=6),
    # PostgreSQL keeps its buffers warm: memory is high but steady.
    HostSpec("aigym-db-1", "004", 22, 24, 66, 4, 57, 1.0, 1.5e6, 6.0e6,
             incident_cpu=12, cpu_noise=3.0),
    # worker-1 holds the model cache: its disk sits in the 70s (below the 80 % warning).
    HostSpec("aigym-worker-1", "005", 15, 34, 52, 10, 74, 2.5, 1.0e6, 4.0e6),
    HostSpec("aigym-worker-2", "006", 14, 33, 49, 10, 46, 1.5, 1.0e6, 3.8e6),
)

HOST_NAMES: tuple[str, ...] = tuple(h.name for h in HOSTS)


@dataclass(frozen=True)
class ServiceSpec:
    """A service's request latency (seconds), 5xx ratio and rate, calm and in the incident.

    Calm latency grows with load by `load_slowdown` (at the daily peak); in the incident
    each value blends towards its `incident_*` value with the intensity.
    """

    name: str
    hosts: tuple[str, ...]
    p50_s: float
    p95_s: float
    p99_s: float
    error_ratio: float
    rps_base: float
    rps_load: float
    load_slowdown: float = 0.3
    incident_p50_s: float | None = None
    incident_p95_s: float | None = None
    incident_p99_s: float | None = None
    #: 5xx ratio added at full incident intensity
    incident_errors: float = 0.0


SERVICES: tuple[ServiceSpec, ...] = (
    # The DB pool runs dry: most requests queue for 2-5 s, a tenth fail with 5xx.
    ServiceSpec(
        "aigym-api", ("aigym-api-1", "aigym-api-2"), 0.11, 0.48, 1.05, 0.0025, 40, 160,
        load_slowdown=0.35, incident_p50_s=2.3, incident_p95_s=3.6, incident_p99_s=5.2,
        incident_errors=0.10,
    ),
    # Auth shares the API hosts and the DB: it feels the incident a little.
    ServiceSpec(
        "aigym-auth", ("aigym-api-1", "aigym-api-2"), 0.045, 0.15, 0.32, 0.0004, 8, 30,
        incident_p95_s=0.35, incident_p99_s=0.9, incident_errors=0.005,
    ),
    ServiceSpec(
        "aigym-conversations", ("aigym-worker-1", "aigym-worker-2"), 0.55, 1.2, 2.6, 0.003,
        2, 10, load_slowdown=0.2,
    ),
    ServiceSpec("aigym-edge-functions", ("aigym-edge-1",), 0.09, 0.3, 0.65, 0.002, 12, 60),
    ServiceSpec(
        "supabase-db", ("aigym-db-1",), 0.004, 0.02, 0.06, 0.0003, 120, 500,
        incident_p95_s=0.09, incident_p99_s=0.4, incident_errors=0.002,
    ),
)

SERVICE_NAMES: tuple[str, ...] = tuple(s.name for s in SERVICES)

SERVICE_BY_NAME: dict[str, ServiceSpec] = {s.name: s for s in SERVICES}
