"""Lint of the deployment kit in deploy/: no Docker, no cluster, no network.

The files cannot be built or applied where the tests run, so this checks what can be read from them: the
Kubernetes objects fit together (selectors, ports, probes, secrets, the vLLM flags) and the Dockerfile's
instructions say what the image must do. Each check is also run on broken copies of the files (MUTATIONS), so
that a check that cannot fail shows up as a failing test.
"""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlparse

import pytest
import yaml  # PyYAML: a dependency of gradio and huggingface_hub, so always in the venv

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
K8S = ROOT / "deploy" / "k8s.yaml"

WEB_PORT = 7860
# A RUN that installs packages: the image must switch to its non-root user only after the last one.
INSTALLS = re.compile(r"\b(apt-get|apt|apk|dnf|yum|microdnf)\s+(-\S+\s+)*(install|add)\b|\bpip3?\s+install\b")


# --- Dockerfile -------------------------------------------------------------------------------------------

def dockerfile_instructions(text: str) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) per instruction, with backslash continuations joined and comments dropped."""
    instructions, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):  # Docker drops comment and empty lines, also inside continuations
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        keyword, *rest = re.split(r"\s+", pending + line, maxsplit=1)
        instructions.append((keyword.upper(), rest[0].strip() if rest else ""))
        pending = ""
    assert not pending, "the Dockerfile ends inside a backslash continuation"
    return instructions


def exec_words(arguments: str) -> list[str]:
    """The words of a CMD/ENTRYPOINT/HEALTHCHECK CMD, in exec (JSON) or shell form."""
    if arguments.startswith("["):
        words = json.loads(arguments)
        assert isinstance(words, list) and all(isinstance(w, str) for w in words), arguments
        return words
    return shlex.split(arguments)


def check_dockerfile(text: str) -> None:
    instructions = dockerfile_instructions(text)
    keywords = [keyword for keyword, _ in instructions]

    froms = [rest for keyword, rest in instructions if keyword == "FROM"]
    assert froms, "no FROM"
    image = [word for word in froms[-1].split() if not word.startswith("--")][0]
    assert re.fullmatch(r"(docker\.io/)?nvidia/cuda:\d+\.\d+(\.\d+)?-[\w.-]*runtime[\w.-]*", image), \
        f"the final stage is not built on a CUDA runtime image: {image}"

    runs = [(i, rest) for i, (keyword, rest) in enumerate(instructions) if keyword == "RUN"]
    installs = [i for i, rest in runs if INSTALLS.search(rest)]
    run_text = "\n".join(rest for _, rest in runs)
    assert re.search(r"apt-get\s+(-\S+\s+)*install\b", run_text), "no apt-get install"
    for package in ("python3.11", "python3.11-venv", "poppler-utils", "fonts-dejavu-core"):
        assert re.search(rf"(?<![\w.-]){re.escape(package)}(?![\w.-])", run_text), f"{package} is not installed"
    assert re.search(r"(?<![\w.-])(gcc|clang|build-essential)(?![\w.-])", run_text), "no C compiler is installed"
    assert re.search(r"pip3?\s+install\s+(-\S+\s+)*-r\s+requirements\.txt", run_text), "requirements not installed"
    assert re.search(r"pip3?\s+install\s+(-\S+\s+)*\.(\s|$)", run_text), "the project itself is not installed"

    users = [i for i, keyword in enumerate(keywords) if keyword == "USER"]
    assert users, "no USER: the image would run as root"
    user = instructions[users[-1]][1].split(":")[0].strip()
    assert user not in ("", "root", "0"), f"the image runs as {user!r}"
    assert users[-1] > installs[-1], "USER comes before the last package install (that RUN would need root)"
    created = re.search(rf"useradd\b[^\n]*(-u|--uid)[ =]?10001\b[^\n]*\s{re.escape(user)}(\s|$)", run_text)
    assert user == "10001" or created, f"user {user!r} does not have uid 10001 (the runAsUser of k8s.yaml)"

    exposed = {word.split("/")[0] for keyword, rest in instructions if keyword == "EXPOSE" for word in rest.split()}
    assert str(WEB_PORT) in exposed, f"EXPOSE {WEB_PORT} is missing (exposed: {sorted(exposed)})"

    checks = [rest for keyword, rest in instructions if keyword == "HEALTHCHECK"]
    assert checks, "no HEALTHCHECK"
    options, cmd, probe = checks[-1].partition("CMD ")
    assert cmd and "/healthz" in probe, f"the HEALTHCHECK does not probe /healthz: {checks[-1]}"

    entrypoint = [exec_words(rest) for keyword, rest in instructions if keyword == "ENTRYPOINT"]
    cmd_words = [exec_words(rest) for keyword, rest in instructions if keyword == "CMD"]
    command = (entrypoint[-1] if entrypoint else []) + (cmd_words[-1] if cmd_words else [])
    line = " ".join(command)
    assert re.search(r"(-m glyph_web|glyph-web) serve\b", line), f"the container does not run glyph_web serve: {line}"
    assert re.search(r"--host[ =]0\.0\.0\.0(\s|$)", line), f"the app would not listen on every interface: {line}"


# --- Kubernetes -------------------------------------------------------------------------------------------

def load_k8s(text: str) -> list[dict]:
    return [doc for doc in yaml.safe_load_all(text) if doc is not None]


def only(docs: list[dict], kind: str, name: str) -> dict:
    found = [d for d in docs if d.get("kind") == kind and (d.get("metadata") or {}).get("name") == name]
    assert len(found) == 1, f"expected one {kind} {name}, found {len(found)}"
    return found[0]


def pod_spec(deployment: dict) -> dict:
    spec = (((deployment.get("spec") or {}).get("template") or {}).get("spec")) or {}
    assert spec.get("containers"), f"Deployment {deployment['metadata']['name']} has no containers"
    return spec


def container_port(container: dict, port) -> int:
    """A probe's or Service's port, numeric or by name, as a port the container declares."""
    declared = {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}
    number = declared.get(port) if isinstance(port, str) else port
    assert number in declared.values(), f"port {port!r} is not declared by container {container['name']}"
    return number


def probe(container: dict, kind: str) -> tuple[str, int]:
    get = (container.get(kind) or {}).get("httpGet")
    assert get, f"container {container['name']} has no {kind} httpGet"
    return get.get("path"), container_port(container, get.get("port"))


def arg_value(args: list[str], flag: str) -> str | None:
    for i, arg in enumerate(args):
        if arg == flag and i + 1 < len(args):
            return str(args[i + 1])
        if arg.startswith(flag + "="):
            return arg.split("=", 1)[1]
    return None


def check_k8s(text: str) -> None:
    docs = load_k8s(text)
    for doc in docs:
        assert isinstance(doc, dict) and doc.get("apiVersion") and doc.get("kind"), f"incomplete object: {doc}"
        assert (doc.get("metadata") or {}).get("name"), f"{doc['kind']} without metadata.name"

    vllm = only(docs, "Deployment", "glyph-vllm")
    web = only(docs, "Deployment", "glyph-web")
    vllm_service = only(docs, "Service", "glyph-vllm")
    only(docs, "Service", "glyph-web")

    # Each Deployment's selector matches its own pods, and each Service reaches one Deployment's container.
    for deployment in (vllm, web):
        labels = deployment["spec"]["template"].get("metadata", {}).get("labels") or {}
        match = deployment["spec"].get("selector", {}).get("matchLabels") or {}
        assert match and match.items() <= labels.items(), f"{deployment['metadata']['name']}: selector/labels"
    for service in (d for d in docs if d["kind"] == "Service"):
        name = service["metadata"]["name"]
        selector = service["spec"].get("selector") or {}
        targets = [d for d in docs if d["kind"] == "Deployment"
                   and selector.items() <= (d["spec"]["template"].get("metadata", {}).get("labels") or {}).items()]
        assert selector and [t["metadata"]["name"] for t in targets] == [name], \
            f"Service {name} selects {[t['metadata']['name'] for t in targets]}"
        container = pod_spec(targets[0])["containers"][0]
        assert service["spec"].get("ports"), f"Service {name} has no ports"
        for port in service["spec"]["ports"]:
            container_port(container, port.get("targetPort", port.get("port")))

    # The model server: one GPU, the flags the app relies on, probes on vLLM's /health.
    server = pod_spec(vllm)["containers"][0]
    assert str(server.get("image", "")).startswith("vllm/vllm-openai"), server.get("image")
    limits = (server.get("resources") or {}).get("limits") or {}
    requests = (server.get("resources") or {}).get("requests") or {}
    assert int(limits.get("nvidia.com/gpu", 0)) >= 1, "glyph-vllm does not ask for an nvidia.com/gpu"
    assert requests.get("nvidia.com/gpu", limits["nvidia.com/gpu"]) == limits["nvidia.com/gpu"]
    args = [str(a) for a in server.get("args") or []]
    assert arg_value(args, "--model") == "zai-org/Glyph", args
    assert arg_value(args, "--reasoning-parser") == "glm45", args
    assert "--enable-prefix-caching" in args, args
    for kind in ("readinessProbe", "livenessProbe"):
        assert probe(server, kind) == ("/health", 8000), f"glyph-vllm {kind}"

    # The web app: probes, non-root, and the environment that points it at the model server.
    spec = pod_spec(web)
    app = spec["containers"][0]
    assert "nvidia.com/gpu" not in str(app.get("resources")), "glyph-web needs no GPU"
    assert probe(app, "readinessProbe") == ("/readyz", WEB_PORT)
    assert probe(app, "livenessProbe") == ("/healthz", WEB_PORT)
    context = {**(spec.get("securityContext") or {}), **(app.get("securityContext") or {})}
    assert context.get("runAsNonRoot") is True, "glyph-web may run as root"
    assert context.get("runAsUser") not in (None, 0), "runAsUser should name the image's non-root uid"
    env = {e["name"]: e for e in app.get("env") or []}
    assert env.get("GLYPH_BACKEND", {}).get("value") == "openai"
    base = urlparse(env.get("GLYPH_API_BASE", {}).get("value", ""))
    service_ports = [p["port"] for p in vllm_service["spec"]["ports"]]
    assert base.scheme == "http" and base.hostname == "glyph-vllm" and base.port in service_ports, \
        f"GLYPH_API_BASE does not point at the glyph-vllm Service: {base.geturl()}"
    assert base.path.rstrip("/") == "/v1", base.geturl()
    assert env.get("GLYPH_API_MODEL", {}).get("value") == (arg_value(args, "--served-model-name")
                                                           or arg_value(args, "--model"))
    for name in ("GLYPH_API_KEY", "GLYPH_AUTH"):
        ref = (env.get(name, {}).get("valueFrom") or {}).get("secretKeyRef") or {}
        assert ref.get("name") == "glyph-web-auth" and ref.get("key"), f"{name} is not read from the Secret"
        assert "value" not in env[name], f"{name} has a literal value"


# --- the tests --------------------------------------------------------------------------------------------

def test_dockerfile():
    check_dockerfile(DOCKERFILE.read_text())


def test_k8s_manifests():
    check_k8s(K8S.read_text())


def test_glyph_variables_are_settings():
    """Every GLYPH_* variable the kit sets is one the app reads (a typo would be silently ignored)."""
    from dataclasses import fields

    from glyph_web.settings import ENV_PREFIX, Settings

    known = {ENV_PREFIX + f.name.upper() for f in fields(Settings)}
    env_lines = " ".join(rest for keyword, rest in dockerfile_instructions(DOCKERFILE.read_text()) if keyword == "ENV")
    used = set(re.findall(r"\bGLYPH_[A-Z0-9_]+(?==)", env_lines))
    for doc in load_k8s(K8S.read_text()):
        if doc["kind"] == "Deployment":
            used |= {e["name"] for c in pod_spec(doc)["containers"] for e in c.get("env") or []
                     if e["name"].startswith(ENV_PREFIX)}
    assert {"GLYPH_LOG_DIR", "GLYPH_BACKEND", "GLYPH_API_KEY"} <= used  # the scan found what it should
    assert used <= known, f"not settings: {sorted(used - known)}"


def test_dockerfile_parser_joins_continuations_and_drops_comments():
    text = "FROM a\n# note\nRUN one \\\n    # inside\n    two\nCMD [\"x\"]\n"
    assert dockerfile_instructions(text) == [("FROM", "a"), ("RUN", "one two"), ("CMD", '["x"]')]


# Broken copies of the files: (file, text to replace, replacement). Each must fail its check.
MUTATIONS = [
    (DOCKERFILE, "FROM nvidia/cuda:12.4.1-cudnn-runtime-ubuntu22.04", "FROM python:3.11-slim"),
    (DOCKERFILE, "USER 10001:10001", "USER root"),
    (DOCKERFILE, "USER 10001:10001", "USER 10001:10001\nRUN apt-get install -y curl"),
    (DOCKERFILE, "poppler-utils fonts-dejavu-core", "fonts-dejavu-core"),
    (DOCKERFILE, "EXPOSE 7860", "EXPOSE 8080"),
    (DOCKERFILE, "/healthz' %", "/' %"),
    (DOCKERFILE, '"--host", "0.0.0.0"', '"--host", "127.0.0.1"'),
    (DOCKERFILE, '"glyph_web", "serve"', '"glyph_web", "render"'),
    (K8S, "path: /readyz", "path: /healthz"),
    (K8S, "httpGet: {path: /healthz, port: 7860}", "httpGet: {path: /healthz, port: 8080}"),
    (K8S, "runAsNonRoot: true", "runAsNonRoot: false"),
    (K8S, "{name: GLYPH_BACKEND, value: openai}", "{name: GLYPH_BACKEND, value: local}"),
    (K8S, "http://glyph-vllm:8000/v1", "http://glyph-vllm:8080/v1"),
    (K8S, "http://glyph-vllm:8000/v1", "http://localhost:8000/v1"),
    (K8S, "secretKeyRef: {name: glyph-web-auth, key: api-key}", "secretKeyRef: {name: other, key: api-key}"),
    (K8S, "nvidia.com/gpu: 1, ", ""),
    (K8S, "- --reasoning-parser\n            - glm45\n", ""),
    (K8S, "- --enable-prefix-caching\n", ""),
    (K8S, "selector: {app: glyph-web}", "selector: {app: glyph-webb}"),
    (K8S, "{name: http, port: 80, targetPort: http}", "{name: http, port: 80, targetPort: 8080}"),
    (K8S, "kind: Service\nmetadata:\n  name: glyph-vllm", "kind: Service\nmetadata:\n  labels: {}"),
]


@pytest.mark.parametrize("path, old, new", MUTATIONS, ids=[f"{p.name}: {o[:40]!r}" for p, o, _ in MUTATIONS])
def test_checks_fail_on_broken_files(path, old, new):
    text = path.read_text()
    assert old in text, f"mutation target not in {path.name} (update MUTATIONS): {old!r}"
    check = check_dockerfile if path == DOCKERFILE else check_k8s
    with pytest.raises(AssertionError):
        check(text.replace(old, new))
