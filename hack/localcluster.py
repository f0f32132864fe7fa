"""A real Kubernetes control plane and a Redis server on loopback, for tests and `make cluster-up`.

The envtest / kwokctl approach without a container runtime: etcd, kube-apiserver,
kube-controller-manager, kube-scheduler and kwok run as plain processes from the
binaries that ``hack/build-control-plane.sh`` compiled from pinned Go modules.

- Secure serving with a private CA, RBAC authorization, admission on (the
  apiserver's default plugin set), service-account signing keys.
- Free ports on 127.0.0.1, all state in one temporary directory.
- An admin kubeconfig (client certificate in ``system:masters``) for tests and kubectl.
- One fake Node managed by kwok, so Deployments get Running, Ready pods and
  ``readyReplicas`` from the real controllers without a kubelet.

Interface::

    cp = ControlPlane()            # binaries from ${ARK_CACHE:-~/.cache/ark}/k8s/<version>/bin
    cp.start()                     # returns once the API is ready and the node is Ready
    cp.kubeconfig, cp.server, cp.etcd_url
    cp.stop()                      # stops exactly the processes it started, removes the temp dir

    redis = RedisServer(); redis.start(); redis.url; redis.restart(); redis.stop()

    cp = ControlPlane(pod_runner_repository="ghcr.io/arkonis-dev/ark")   # kwok leaves those pods
    start_pod_runner(cp.kubeconfig, pod_logs, logs, tied=True)          # ... to hack/podrunner
    cp = ControlPlane(pod_runner_repository=..., pod_runner_sandbox=True)   # and the redis image's
    start_pod_runner(cp.kubeconfig, pod_logs, logs, tied=True, sandbox=True)

Command line (``python hack/localcluster.py``): ``up [--state DIR] [--agent-env KEY=VALUE]...
[--operator host|in-cluster]``, ``down [--state DIR]``, ``status [--state DIR]``. ``up`` starts the
control plane (kwok leaving ark-image pods to the pod runner), Redis, installs the CRDs and the
operator's ServiceAccount and RBAC, starts ``ark-operator`` under that ServiceAccount's token and
the pod runner, leaves them running and records them in ``DIR/state.json``; ``down`` stops exactly
those processes (the pod runner first, which stops the agent processes it started).
``--operator in-cluster`` starts only the control plane and a sandboxed pod runner (which also
runs the redis image): ``make deploy`` then installs ark as into any cluster, and the operator
and Redis run as pods.
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import datetime
import ipaddress
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from podrunner.images import REDIS_REPOSITORIES
from podrunner.serving import free_port
from podrunner.stages import DEFAULT_REPOSITORY, runner_stages

from ark.operator.config import ConfigError, parse_env_assignments

HACK_DIR = Path(__file__).resolve().parent
NODE_NAME = "kwok-node-0"
STOP_GRACE_SECONDS = 10.0


def _versions() -> dict[str, str]:
    values: dict[str, str] = {}
    for line in (HACK_DIR / "versions.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


VERSIONS = _versions()
K8S_VERSION = VERSIONS["K8S_VERSION"]


def cache_dir() -> Path:
    """Where ``hack/build-control-plane.sh`` puts the binaries for the pinned version."""
    root = Path(os.environ.get("ARK_CACHE", Path.home() / ".cache" / "ark"))
    return root / "k8s" / K8S_VERSION


class ClusterError(RuntimeError):
    """The control plane or Redis could not be started; the message carries the log tail."""


# --------------------------------------------------------------------------- PKI


def _pem_key(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _pem_cert(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


@dataclass
class _Issued:
    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate


def _name(common_name: str, organizations: tuple[str, ...] = ()) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, org) for org in organizations]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, common_name))
    return x509.Name(attrs)


def _issue(
    common_name: str,
    *,
    ca: _Issued | None = None,
    organizations: tuple[str, ...] = (),
    dns_names: tuple[str, ...] = (),
    ip_addresses: tuple[str, ...] = (),
    server: bool = False,
    client: bool = False,
) -> _Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    subject = _name(common_name, organizations)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(ca.cert.subject if ca else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365))
    )
    if ca is None:
        builder = builder.add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        usages = [ExtendedKeyUsageOID.SERVER_AUTH] if server else []
        usages += [ExtendedKeyUsageOID.CLIENT_AUTH] if client else []
        builder = builder.add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    sans: list[x509.GeneralName] = [x509.DNSName(d) for d in dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
    if sans:
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    cert = builder.sign(ca.key if ca else key, hashes.SHA256())
    return _Issued(key, cert)


@dataclass(frozen=True)
class Pki:
    """Paths of the certificates and keys the control plane uses."""

    ca_cert: Path
    serving_cert: Path
    serving_key: Path
    admin_cert: Path
    admin_key: Path
    sa_public: Path
    sa_private: Path

    @classmethod
    def create(cls, directory: Path) -> Pki:
        """Write a CA, the apiserver serving pair, an admin client pair and the SA signing pair."""
        directory.mkdir(parents=True, exist_ok=True)
        ca = _issue("ark-local-ca")
        serving = _issue(
            "kube-apiserver",
            ca=ca,
            dns_names=("localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc"),
            ip_addresses=("127.0.0.1", "10.0.0.1"),
            server=True,
        )
        admin = _issue("ark-admin", ca=ca, organizations=("system:masters",), client=True)
        sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pki = cls(
            ca_cert=directory / "ca.crt",
            serving_cert=directory / "apiserver.crt",
            serving_key=directory / "apiserver.key",
            admin_cert=directory / "admin.crt",
            admin_key=directory / "admin.key",
            sa_public=directory / "sa.pub",
            sa_private=directory / "sa.key",
        )
        pki.ca_cert.write_bytes(_pem_cert(ca.cert))
        pki.serving_cert.write_bytes(_pem_cert(serving.cert))
        pki.serving_key.write_bytes(_pem_key(serving.key))
        pki.admin_cert.write_bytes(_pem_cert(admin.cert))
        pki.admin_key.write_bytes(_pem_key(admin.key))
        pki.sa_private.write_bytes(_pem_key(sa_key))
        pki.sa_public.write_bytes(
            sa_key.public_key().public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )
        for path in (pki.serving_key, pki.admin_key, pki.sa_private):
            path.chmod(0o600)
        return pki


def write_kubeconfig(path: Path, server: str, pki: Pki, user: str = "ark-admin") -> None:
    """Write a kubeconfig for ``server`` authenticating with the admin client certificate."""
    import base64

    def b64(p: Path) -> str:
        return base64.b64encode(p.read_bytes()).decode()

    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [
            {
                "name": "ark-local",
                "cluster": {"server": server, "certificate-authority-data": b64(pki.ca_cert)},
            }
        ],
        "users": [
            {
                "name": user,
                "user": {
                    "client-certificate-data": b64(pki.admin_cert),
                    "client-key-data": b64(pki.admin_key),
                },
            }
        ],
        "contexts": [{"name": "ark-local", "context": {"cluster": "ark-local", "user": user}}],
        "current-context": "ark-local",
        "preferences": {},
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)


# --------------------------------------------------------------------------- processes


def _set_parent_death_signal() -> None:
    # Dies with the test session even if pytest is killed, so no process outlives its cluster.
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, start time in clock ticks) of a pid from /proc, or None when it does not exist."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return fields[0], int(fields[19])


@dataclass
class Proc:
    """One started process: what it is, its pid and where its output goes."""

    name: str
    pid: int
    log: str
    args: list[str]
    start_ticks: int

    def alive(self) -> bool:
        """True while the process exists, is not a zombie and is the one we started (not a recycled pid)."""
        stat = _proc_stat(self.pid)
        return stat is not None and stat[0] != "Z" and stat[1] == self.start_ticks

    def log_tail(self, lines: int = 30) -> str:
        """The last lines the process printed."""
        try:
            return "\n".join(Path(self.log).read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"


def _spawn(
    name: str, args: list[str], log_dir: Path, *, tied: bool, env: dict[str, str] | None = None
) -> Proc:
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    with log.open("ab") as out:
        popen = subprocess.Popen(
            args,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_set_parent_death_signal if tied else None,
            env=env,
        )
    # The Popen object is dropped on purpose: stop() works from the pid so that a
    # different process (`make cluster-down`) can stop what `make cluster-up` started.
    _REAPERS[popen.pid] = popen
    stat = _proc_stat(popen.pid)
    return Proc(name=name, pid=popen.pid, log=str(log), args=args, start_ticks=stat[1] if stat else -1)


_REAPERS: dict[int, subprocess.Popen[bytes]] = {}


def _stop(proc: Proc, grace: float = STOP_GRACE_SECONDS) -> None:
    if not proc.alive():
        _reap(proc.pid)
        return
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        _reap(proc.pid)
        if not proc.alive():
            return
        time.sleep(0.05)
    with contextlib.suppress(ProcessLookupError):
        os.kill(proc.pid, signal.SIGKILL)
    deadline = time.monotonic() + grace
    while proc.alive() and time.monotonic() < deadline:
        _reap(proc.pid)
        time.sleep(0.05)


def _reap(pid: int) -> None:
    popen = _REAPERS.get(pid)
    if popen is not None and popen.poll() is not None:
        del _REAPERS[pid]


def _wait(what: str, check: Callable[[], bool], timeout: float, procs: list[Proc]) -> None:
    deadline = time.monotonic() + timeout
    while True:
        for proc in procs:
            _reap(proc.pid)
            if not proc.alive():
                raise ClusterError(f"{proc.name} exited while waiting for {what}:\n{proc.log_tail()}")
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        if time.monotonic() >= deadline:
            tails = "\n".join(f"--- {p.name} ---\n{p.log_tail(15)}" for p in procs)
            raise ClusterError(f"timed out after {timeout:.0f}s waiting for {what}\n{tails}")
        time.sleep(0.1)


# --------------------------------------------------------------------------- control plane


@dataclass
class ClusterState:
    """What `up` started, saved as JSON so that `down` in another process can stop it."""

    workdir: str
    server: str
    kubeconfig: str
    etcd_url: str
    procs: list[Proc] = field(default_factory=list)
    redis_url: str = ""
    operator_kubeconfig: str = ""
    operator_metrics: str = ""
    pod_logs: str = ""
    agent_env: list[str] = field(default_factory=list)
    """The names given to ``--agent-env`` (values are not recorded: they may be keys)."""

    def save(self, path: Path) -> None:
        """Write the state as JSON."""
        path.write_text(json.dumps(asdict(self), indent=2))

    @classmethod
    def load(cls, path: Path) -> ClusterState:
        """Read a state written by :meth:`save`."""
        raw = json.loads(path.read_text())
        raw["procs"] = [Proc(**p) for p in raw.get("procs", [])]
        return cls(**raw)


class ControlPlane:
    """etcd + kube-apiserver + kube-controller-manager + kube-scheduler + kwok + one fake Node.

    With ``pod_runner_repository``, kwok leaves the pods of that image to the pod runner
    (``hack/podrunner``), which must then run for them to start; other pods are kwok's as always.
    """

    def __init__(
        self,
        bin_dir: Path | None = None,
        workdir: Path | None = None,
        *,
        tied: bool = True,
        pod_runner_repository: str | None = None,
        pod_runner_sandbox: bool = False,
    ) -> None:
        self.bin_dir = bin_dir or cache_dir() / "bin"
        self.stages = (bin_dir.parent if bin_dir else cache_dir()) / "kwok-stages.yaml"
        self.pod_runner_repository = pod_runner_repository
        self.pod_runner_sandbox = pod_runner_sandbox
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="ark-cluster-"))
        self.tied = tied
        self.procs: list[Proc] = []
        self.server = ""
        self.etcd_url = ""
        self.kubeconfig = self.workdir / "admin.kubeconfig"
        self.pki: Pki | None = None

    def _binary(self, name: str) -> str:
        path = self.bin_dir / name
        if not os.access(path, os.X_OK):
            raise ClusterError(
                f"{path} is missing: build the control plane first with hack/build-control-plane.sh "
                "(make cluster-up and make test do it)"
            )
        return str(path)

    def _client(self) -> httpx.Client:
        assert self.pki is not None
        context = ssl.create_default_context(cafile=str(self.pki.ca_cert))
        context.load_cert_chain(str(self.pki.admin_cert), str(self.pki.admin_key))
        return httpx.Client(base_url=self.server, verify=context, timeout=10.0)

    def start(self, timeout: float = 120.0) -> None:
        """Start every component and return once the API is ready and the node is Ready."""
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float) -> None:
        binaries = {
            n: self._binary(n)
            for n in ("etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kwok")
        }
        if not self.stages.exists():
            raise ClusterError(f"{self.stages} is missing: rerun hack/build-control-plane.sh")
        stages = self.stages
        if self.pod_runner_repository:
            stages = self.workdir / "kwok-stages.yaml"
            # A sandboxed runner also runs the redis image (it can give redis its /data volume).
            extra = REDIS_REPOSITORIES if self.pod_runner_sandbox else ()
            repositories = (self.pod_runner_repository, *extra)
            stages.write_text(runner_stages(self.stages.read_text(), repositories))
        logs = self.workdir / "logs"
        self.pki = pki = Pki.create(self.workdir / "pki")

        etcd_port, peer_port = free_port(), free_port()
        self.etcd_url = f"http://127.0.0.1:{etcd_port}"
        etcd = _spawn(
            "etcd",
            [
                binaries["etcd"],
                f"--data-dir={self.workdir / 'etcd'}",
                "--name=default",
                f"--listen-client-urls={self.etcd_url}",
                f"--advertise-client-urls={self.etcd_url}",
                f"--listen-peer-urls=http://127.0.0.1:{peer_port}",
                f"--initial-advertise-peer-urls=http://127.0.0.1:{peer_port}",
                f"--initial-cluster=default=http://127.0.0.1:{peer_port}",
                "--unsafe-no-fsync=true",
                "--quota-backend-bytes=8589934592",
                "--log-level=warn",
            ],
            logs,
            tied=self.tied,
        )
        self.procs.append(etcd)
        _wait(
            "etcd /health",
            lambda: httpx.get(f"{self.etcd_url}/health", timeout=2).status_code == 200,
            30,
            [etcd],
        )

        api_port = free_port()
        self.server = f"https://127.0.0.1:{api_port}"
        apiserver = _spawn(
            "kube-apiserver",
            [
                binaries["kube-apiserver"],
                f"--etcd-servers={self.etcd_url}",
                "--bind-address=127.0.0.1",
                "--advertise-address=127.0.0.1",
                f"--secure-port={api_port}",
                f"--cert-dir={self.workdir / 'pki'}",
                f"--tls-cert-file={pki.serving_cert}",
                f"--tls-private-key-file={pki.serving_key}",
                f"--client-ca-file={pki.ca_cert}",
                "--authorization-mode=Node,RBAC",
                "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
                f"--service-account-key-file={pki.sa_public}",
                f"--service-account-signing-key-file={pki.sa_private}",
                "--service-cluster-ip-range=10.0.0.0/24",
                "--allow-privileged=true",
                "--profiling=false",
                "--watch-cache=true",
                "--max-requests-inflight=1000",
                "--max-mutating-requests-inflight=500",
            ],
            logs,
            tied=self.tied,
        )
        self.procs.append(apiserver)
        write_kubeconfig(self.kubeconfig, self.server, pki)

        with self._client() as client:
            _wait(
                "kube-apiserver /readyz",
                lambda: client.get("/readyz").status_code == 200,
                timeout,
                self.procs,
            )

            kcm = _spawn(
                "kube-controller-manager",
                [
                    binaries["kube-controller-manager"],
                    f"--kubeconfig={self.kubeconfig}",
                    f"--authentication-kubeconfig={self.kubeconfig}",
                    f"--authorization-kubeconfig={self.kubeconfig}",
                    "--leader-elect=false",
                    "--bind-address=127.0.0.1",
                    f"--secure-port={free_port()}",
                    f"--service-account-private-key-file={pki.sa_private}",
                    f"--root-ca-file={pki.ca_cert}",
                    "--use-service-account-credentials=false",
                    "--kube-api-qps=500",
                    "--kube-api-burst=1000",
                    "--concurrent-deployment-syncs=20",
                    "--concurrent-replicaset-syncs=20",
                    "--concurrent-gc-syncs=50",
                ],
                logs,
                tied=self.tied,
            )
            self.procs.append(kcm)

            scheduler_config = self.workdir / "scheduler.yaml"
            scheduler_config.write_text(
                yaml.safe_dump(
                    {
                        "apiVersion": "kubescheduler.config.k8s.io/v1",
                        "kind": "KubeSchedulerConfiguration",
                        "clientConnection": {"kubeconfig": str(self.kubeconfig), "qps": 500, "burst": 1000},
                        "leaderElection": {"leaderElect": False},
                    }
                )
            )
            scheduler = _spawn(
                "kube-scheduler",
                [
                    binaries["kube-scheduler"],
                    f"--config={scheduler_config}",
                    f"--authentication-kubeconfig={self.kubeconfig}",
                    f"--authorization-kubeconfig={self.kubeconfig}",
                    "--bind-address=127.0.0.1",
                    f"--secure-port={free_port()}",
                ],
                logs,
                tied=self.tied,
            )
            self.procs.append(scheduler)

            kwok = _spawn(
                "kwok",
                [
                    binaries["kwok"],
                    f"--kubeconfig={self.kubeconfig}",
                    f"--config={stages}",
                    "--manage-all-nodes=false",
                    "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake",
                    "--cidr=10.0.0.1/24",
                    "--node-ip=10.0.0.1",
                    f"--server-address=127.0.0.1:{free_port()}",
                ],
                logs,
                tied=self.tied,
            )
            self.procs.append(kwok)

            self._create_node(client)
            _wait(f"node {NODE_NAME} Ready", lambda: self._node_ready(client), timeout, self.procs)
            _wait(
                "ServiceAccount default/default (kube-controller-manager running)",
                lambda: client.get("/api/v1/namespaces/default/serviceaccounts/default").status_code == 200,
                timeout,
                self.procs,
            )

    @staticmethod
    def _create_node(client: httpx.Client) -> None:
        node = {
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "name": NODE_NAME,
                "annotations": {"kwok.x-k8s.io/node": "fake", "node.alpha.kubernetes.io/ttl": "0"},
                "labels": {
                    "kubernetes.io/hostname": NODE_NAME,
                    "kubernetes.io/os": "linux",
                    "kubernetes.io/arch": "amd64",
                    "type": "kwok",
                },
            },
            "spec": {"providerID": f"kwok://{NODE_NAME}"},
        }
        response = client.post("/api/v1/nodes", json=node)
        if response.status_code not in (201, 409):
            raise ClusterError(f"creating node {NODE_NAME}: {response.status_code} {response.text}")

    @staticmethod
    def _node_ready(client: httpx.Client) -> bool:
        response = client.get(f"/api/v1/nodes/{NODE_NAME}")
        if response.status_code != 200:
            return False
        conditions = response.json().get("status", {}).get("conditions") or []
        return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conditions)

    def state(self) -> ClusterState:
        """What to save so that another process can stop this control plane."""
        return ClusterState(
            workdir=str(self.workdir),
            server=self.server,
            kubeconfig=str(self.kubeconfig),
            etcd_url=self.etcd_url,
            procs=list(self.procs),
        )

    def stop(self) -> None:
        """Stop the processes in reverse start order and remove the temporary directory."""
        for proc in reversed(self.procs):
            _stop(proc)
        self.procs.clear()
        if self._own_workdir:
            shutil.rmtree(self.workdir, ignore_errors=True)


# --------------------------------------------------------------------------- redis


def redis_server_binary() -> str:
    """Path of Debian's redis-server, or a ClusterError saying how to install it."""
    path = shutil.which("redis-server") or (
        "/usr/bin/redis-server" if Path("/usr/bin/redis-server").exists() else None
    )
    if path is None:
        raise ClusterError(
            "redis-server not found: install it with `apt-get install -y redis-server` "
            "(make test and .ci/run do this)"
        )
    return path


class RedisServer:
    """A private redis-server on a free loopback port with its data in a temp dir.

    Data is kept in an append-only file, so :meth:`restart` (an outage, not a wipe)
    brings the streams back as they were.
    """

    def __init__(self, port: int | None = None, workdir: Path | None = None, *, tied: bool = True) -> None:
        self.port = port or free_port()
        self._own_workdir = workdir is None
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="ark-redis-"))
        self.tied = tied
        self.proc: Proc | None = None

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:<port>/0``."""
        return f"redis://127.0.0.1:{self.port}/0"

    def _ping(self) -> bool:
        with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")

    def start(self, timeout: float = 20.0) -> None:
        """Start redis-server and wait until it answers PING."""
        self.proc = _spawn(
            "redis",
            [
                redis_server_binary(),
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--dir",
                str(self.workdir),
                "--save",
                "",
                "--appendonly",
                "yes",
                "--appendfsync",
                "no",
                "--protected-mode",
                "no",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
            ],
            self.workdir,
            tied=self.tied,
        )
        _wait(f"redis on port {self.port}", self._ping, timeout, [self.proc])

    def stop(self, *, keep_data: bool = False) -> None:
        """Stop redis-server; remove its directory unless ``keep_data``."""
        if self.proc is not None:
            _stop(self.proc)
            self.proc = None
        if self._own_workdir and not keep_data:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def kill(self) -> None:
        """SIGKILL redis-server (an abrupt outage); :meth:`start` brings it back on the same port."""
        if self.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.proc.pid, signal.SIGKILL)
            while self.proc.alive():
                _reap(self.proc.pid)
                time.sleep(0.01)
            self.proc = None

    def restart(self) -> None:
        """Stop and start again on the same port, keeping the data."""
        self.stop(keep_data=True)
        self.start()


# --------------------------------------------------------------------------- operator and pod runner

REPO_DIR = HACK_DIR.parent
OPERATOR_NAMESPACE = "ark-system"
OPERATOR_ACCOUNT = "ark-operator"
# A local cluster may stay up for weeks; the token is re-minted by every `up`.
OPERATOR_TOKEN_DURATION = "720h"


def venv_program(name: str) -> str:
    """A console script of the virtualenv this Python runs in (kubectl, ark-operator, ...)."""
    path = Path(sys.executable).parent / name
    if not os.access(path, os.X_OK):
        raise ClusterError(f"{path} is missing: run `make venv`")
    return str(path)


class Kubectl:
    """kubectl from the virtualenv against one kubeconfig; a failure is a ClusterError with its stderr."""

    def __init__(self, kubeconfig: Path) -> None:
        self.binary = venv_program("kubectl")
        self.kubeconfig = kubeconfig

    def __call__(self, *args: str) -> str:
        """Run ``kubectl ARGS`` and return its stdout."""
        result = subprocess.run(
            [self.binary, f"--kubeconfig={self.kubeconfig}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if result.returncode != 0:
            raise ClusterError(f"kubectl {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout


def install_ark(kubectl: Kubectl) -> None:
    """The CRDs (established), namespace ark-system and the operator's ServiceAccount and RBAC."""
    manifests = REPO_DIR / "manifests"
    kubectl("apply", "--server-side", "--force-conflicts", "-k", str(manifests / "crd"))
    kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd", "--all")
    kubectl("apply", "-f", str(manifests / "default" / "namespace.yaml"))
    kubectl("apply", "-k", str(manifests / "rbac"))


def operator_kubeconfig(kubectl: Kubectl, admin_kubeconfig: Path, path: Path) -> Path:
    """A kubeconfig for the admin's server and CA that authenticates as ark-system/ark-operator.

    The token comes from the TokenRequest API (``kubectl create token``).
    """
    token = kubectl(
        "create", "token", OPERATOR_ACCOUNT, "-n", OPERATOR_NAMESPACE, f"--duration={OPERATOR_TOKEN_DURATION}"
    ).strip()
    cluster = yaml.safe_load(admin_kubeconfig.read_text())["clusters"][0]["cluster"]
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "ark-local", "cluster": cluster}],
        "users": [{"name": OPERATOR_ACCOUNT, "user": {"token": token}}],
        "contexts": [
            {
                "name": OPERATOR_ACCOUNT,
                "context": {
                    "cluster": "ark-local",
                    "user": OPERATOR_ACCOUNT,
                    "namespace": OPERATOR_NAMESPACE,
                },
            }
        ],
        "current-context": OPERATOR_ACCOUNT,
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    path.chmod(0o600)
    return path


def start_operator(
    kubeconfig: Path, redis_url: str, agent_env: list[str], log_dir: Path, *, tied: bool
) -> tuple[Proc, str]:
    """``ark-operator`` as a local process (leader election in ark-system); (process, metrics URL)."""
    metrics = f"127.0.0.1:{free_port()}"
    args = [
        venv_program("ark-operator"),
        f"--kubeconfig={kubeconfig}",
        f"--task-queue-url={redis_url}",
        f"--leader-election-namespace={OPERATOR_NAMESPACE}",
        f"--metrics-addr={metrics}",
        f"--trigger-webhook-addr=127.0.0.1:{free_port()}",
        # A free loopback port: a fixed :8093 would clash with a second local cluster.
        f"--service-addr=127.0.0.1:{free_port()}",
        *(f"--agent-env={entry}" for entry in agent_env),
    ]
    env = {k: v for k, v in os.environ.items() if k != "KUBECONFIG"}
    proc = _spawn("ark-operator", args, log_dir, tied=tied, env=env)
    url = f"http://{metrics}"
    _wait(
        "ark-operator /readyz", lambda: httpx.get(f"{url}/readyz", timeout=2).status_code == 200, 60, [proc]
    )
    return proc, url


def start_pod_runner(
    kubeconfig: Path, pod_log_dir: Path, log_dir: Path, *, tied: bool, sandbox: bool = False
) -> Proc:
    """``python -m podrunner`` for the fake node (``--sandbox``: see the podrunner); returns once
    its watches are synced."""
    ready = log_dir / "podrunner.ready"
    args = [
        sys.executable,
        "-m",
        "podrunner",
        f"--kubeconfig={kubeconfig}",
        f"--log-dir={pod_log_dir}",
        f"--ready-file={ready}",
        *(["--sandbox", f"--data-dir={log_dir.parent / 'pod-data'}"] if sandbox else []),
    ]
    path = os.pathsep.join(p for p in (str(HACK_DIR), os.environ.get("PYTHONPATH", "")) if p)
    proc = _spawn("podrunner", args, log_dir, tied=tied, env={**os.environ, "PYTHONPATH": path})
    _wait("the pod runner's watches", ready.exists, 60, [proc])
    return proc


# --------------------------------------------------------------------------- CLI


@contextlib.contextmanager
def _timed(label: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    print(f"{label} in {time.monotonic() - started:.1f} s")


def _running(state_dir: Path) -> bool:
    """True (after saying so) when ``up`` already runs there; a dead cluster is cleaned up."""
    state_file = state_dir / "state.json"
    if state_file.exists():
        state = ClusterState.load(state_file)
        if any(p.alive() for p in state.procs):
            print(f"already running (agent env: {', '.join(state.agent_env) or 'none'})")
            print(f"  export KUBECONFIG={state.kubeconfig}")
            return True
        _down(state_dir)
    return False


def _up_in_cluster(state_dir: Path) -> int:
    """The control plane and a sandboxed pod runner: the operator and Redis come as pods (make deploy)."""
    if _running(state_dir):
        return 0
    state_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="ark-cluster-"))
    logs = workdir / "logs"
    started: list[Proc] = []
    try:
        cp = ControlPlane(
            workdir=workdir, tied=False, pod_runner_repository=DEFAULT_REPOSITORY, pod_runner_sandbox=True
        )
        with _timed("control plane ready (warm start)"):
            cp.start()
        started += cp.procs
        state = cp.state()
        kubeconfig = state_dir.resolve() / "kubeconfig"
        shutil.copy(cp.kubeconfig, kubeconfig)
        state.kubeconfig = str(kubeconfig)
        pod_logs = logs / "pods"
        runner = start_pod_runner(kubeconfig, pod_logs, logs, tied=False, sandbox=True)
        started.append(runner)
    except BaseException:
        for proc in reversed(started):
            _stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    state.procs = started
    state.pod_logs = str(pod_logs)
    state.save(state_dir / "state.json")
    print(f"Kubernetes {K8S_VERSION} API server: {state.server}")
    print(
        f"pod runner: pid {runner.pid}, sandboxed: runs ark-image and redis pods of node {NODE_NAME} "
        "with their volumes, ServiceAccount tokens and Services"
    )
    print(f"logs: {logs}/<component>.log, pods in {pod_logs}/<namespace>_<pod>.log")
    print(f"\n  export KUBECONFIG={state.kubeconfig}")
    print("  make deploy AGENT_ENV='AGENT_PROVIDER=mock'   # the operator and Redis, as pods")
    print("\nStop it with: make cluster-down")
    return 0


def _up(state_dir: Path, agent_env: list[str]) -> int:
    # Refused before anything starts; the message names the entry, never its value.
    names = [name for name, _ in parse_env_assignments(agent_env)]
    if _running(state_dir):
        return 0
    state_file = state_dir / "state.json"
    state_dir.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="ark-cluster-"))
    logs = workdir / "logs"
    started: list[Proc] = []
    try:
        cp = ControlPlane(workdir=workdir, tied=False, pod_runner_repository=DEFAULT_REPOSITORY)
        with _timed("control plane ready (warm start)"):
            cp.start()
        started += cp.procs
        state = cp.state()
        redis = RedisServer(workdir=workdir / "redis", tied=False)
        redis.workdir.mkdir()
        redis.start()
        assert redis.proc is not None
        started.append(redis.proc)
        state.redis_url = redis.url
        kubeconfig = state_dir.resolve() / "kubeconfig"
        shutil.copy(cp.kubeconfig, kubeconfig)
        state.kubeconfig = str(kubeconfig)
        with _timed("CRDs, namespace ark-system and the operator's RBAC installed"):
            kubectl = Kubectl(kubeconfig)
            install_ark(kubectl)
            token_config = operator_kubeconfig(
                kubectl, kubeconfig, state_dir.resolve() / "operator.kubeconfig"
            )
        with _timed("ark-operator ready"):
            operator, metrics = start_operator(token_config, redis.url, agent_env, logs, tied=False)
        started.append(operator)
        pod_logs = logs / "pods"
        runner = start_pod_runner(kubeconfig, pod_logs, logs, tied=False)
        started.append(runner)
    except BaseException:
        for proc in reversed(started):
            _stop(proc)
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    state.procs = started
    state.operator_kubeconfig = str(token_config)
    state.operator_metrics = metrics
    state.pod_logs = str(pod_logs)
    state.agent_env = names
    state.save(state_file)
    print(f"Kubernetes {K8S_VERSION} API server: {state.server}")
    print(f"Redis (task queue): {state.redis_url}")
    print(
        f"ark-operator: pid {operator.pid} as ServiceAccount {OPERATOR_NAMESPACE}/{OPERATOR_ACCOUNT}, "
        f"metrics {metrics}/metrics, agent env: {', '.join(names) or 'none'}"
    )
    print(f"pod runner: pid {runner.pid}, runs ark-image pods of node {NODE_NAME} as local processes")
    print(f"logs: {logs}/<component>.log, agent pods in {pod_logs}/<namespace>_<pod>.log")
    print(f"\n  export KUBECONFIG={state.kubeconfig}")
    print(f"  export PATH=$PWD/.venv/bin:$PATH   # kubectl {K8S_VERSION} and ark")
    print("  kubectl apply -f manifests/samples/arkagent.yaml && kubectl get arkagent,pods")
    print("\nStop it with: make cluster-down")
    return 0


def _down(state_dir: Path) -> int:
    state_file = state_dir / "state.json"
    if not state_file.exists():
        print("no local cluster recorded in", state_dir)
        return 0
    state = ClusterState.load(state_file)
    # Reverse start order: the pod runner stops the agent processes before the API goes away.
    for proc in reversed(state.procs):
        _stop(proc)
    shutil.rmtree(state.workdir, ignore_errors=True)
    shutil.rmtree(state_dir, ignore_errors=True)
    print(f"stopped {len(state.procs)} processes and removed {state.workdir}")
    return 0


def _status(state_dir: Path) -> int:
    state_file = state_dir / "state.json"
    if not state_file.exists():
        print("not running")
        return 1
    state = ClusterState.load(state_file)
    for proc in state.procs:
        print(f"{proc.name:<24} pid {proc.pid:<8} {'running' if proc.alive() else 'NOT RUNNING'}")
    print(f"KUBECONFIG={state.kubeconfig}")
    print(f"agent pod logs: {state.pod_logs}")
    return 0 if all(p.alive() for p in state.procs) else 1


def main(argv: list[str] | None = None) -> int:
    """`python hack/localcluster.py up|down|status`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["up", "down", "status"])
    parser.add_argument(
        "--state", type=Path, default=Path(".cluster"), help="where state.json and kubeconfig go"
    )
    parser.add_argument(
        "--agent-env",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="up: passed to ark-operator as --agent-env (repeatable)",
    )
    parser.add_argument(
        "--operator",
        choices=["host", "in-cluster"],
        default="host",
        help="up: ark-operator as a local process (host), or nothing but the cluster, for make deploy",
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "up" and args.operator == "in-cluster":
            return _up_in_cluster(args.state)
        if args.command == "up":
            return _up(args.state, args.agent_env)
        if args.command == "down":
            return _down(args.state)
        return _status(args.state)
    except (ClusterError, ConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
