"""The cluster source: the only module that talks to an API server (and imports ``kubernetes``).

Read-only by construction: it issues GET and LIST requests only. Responses are kept as raw
JSON (``_preload_content=False``); the client's generated models are never built, which keeps
large lists fast and memory-light. Every transport or API failure is turned into a
:class:`~kubectl_podwhy.errors.PodwhyError` with a one-line message and its exit code.
"""
from __future__ import annotations

import importlib
import importlib.util
import json
import logging
import os
import platform
import re
import signal
import subprocess
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import replace
from typing import Any
from urllib.parse import quote

import urllib3
import yaml

from kubectl_podwhy import __version__
from kubectl_podwhy.crashlog import LIMIT_BYTES
from kubectl_podwhy.errors import ClusterError, NotFoundError, PodwhyError
from kubectl_podwhy.kinds import KINDS, POD, WORKLOAD_KINDS
from kubectl_podwhy.rawjson import (
    JSON,
    as_dict,
    controller_uid,
    meta_str,
    owned,
    unplaced,
)
from kubectl_podwhy.selector import parse_selector
from kubectl_podwhy.snapshot import (
    PULL_EVENT_REASONS,
    UNREAD_EVENT_REASONS,
    ContainerLog,
    Gathered,
    LogRequest,
    keep_selected,
    pod_claims,
    pull_event_pods,
    trim_event,
    trim_pod,
)
from kubectl_podwhy.targets import Target, check_namespace

# --- the kubernetes client, loaded lean ---------------------------------------------------------
#
# What a run uses of the client: the kubeconfig loader (kubernetes.config.kube_config, with its
# exec and auth-provider plugins), Configuration, the urllib3 pool it configures
# (kubernetes.client.rest) and ApiException. Importing them the usual way runs the package
# __init__ files, which import the rest of the client: dynamic, watch, stream (websockets),
# informers, leader election, utils.create_from_yaml, and ApiClient, whose module loads
# pydantic and python-dateutil for the generated models podwhy never builds; and kube_config
# imports oauthlib and requests_oauthlib (with requests) for one thing, refreshing an OIDC
# token. Measured on kubernetes 37.0.2: 1,000M instructions (about 0.2 s) for the usual import,
# 440M for what is used, most of the rest of a one-pod run's start-up.
#
# So the four packages are registered in sys.modules as what their __init__ would make (a
# package object from the real spec: real __path__, so submodules import as usual) without
# running the __init__; each runs it on first access of a name it would have defined (a PEP 562
# module __getattr__), so code that later uses the package gets all of it. kube_config's
# module-level ``from kubernetes.client import ApiClient, Configuration`` finds the real
# Configuration and a stand-in for ApiClient; its ``import oauthlib.oauth2`` and ``from
# requests_oauthlib import OAuth2Session`` find placeholder modules, in sys.modules only while
# kube_config loads. Each stand-in imports the real thing when it is used (only an OIDC token
# refresh uses them). Requests go through RawApi instead of ApiClient (below).
#
# Risk: this depends on the client's layout (those modules importing nothing but each other,
# urllib3, yaml and those names, and using the names only when called). Any import error on
# the way, or a package imported before (by anyone), falls back to the usual import: slower,
# never different.
# tests/test_cluster_client.py compares RawApi's requests with ApiClient's, the lean modules
# with the usual ones, and refreshes an OIDC token through the stand-ins.

_LEAN_PACKAGES = ("kubernetes", "kubernetes.client", "kubernetes.config", "kubernetes.utils")
#: the modules the lean import loads (each imports the few others it needs)
_CLIENT_MODULES = ("kubernetes.client.configuration", "kubernetes.client.exceptions",
                   "kubernetes.client.rest", "kubernetes.config.config_exception",
                   "kubernetes.config.kube_config")
_INIT_LOCK = threading.RLock()


class _ApiClientOnDemand:
    """What kube_config finds as ``kubernetes.client.ApiClient`` in a lean import: it builds
    an ApiClient only to refresh an OIDC token (auth-provider oidc), and gets the real one."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        from kubernetes.client.api_client import ApiClient

        return ApiClient(*args, **kwargs)


class _OAuth2SessionOnDemand:
    """What kube_config finds as ``requests_oauthlib.OAuth2Session`` in a lean import: the
    real one, made when an OIDC token is refreshed."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Any:
        from requests_oauthlib import OAuth2Session

        return OAuth2Session(*args, **kwargs)


class _PackageOnDemand(types.ModuleType):
    """What kube_config finds as ``oauthlib`` in a lean import (it names
    ``oauthlib.oauth2.rfc6749.errors.InvalidClientIdError`` when an OIDC refresh fails): each
    attribute is the real package's, or its submodule's, imported on first use."""

    def __getattr__(self, attr: str) -> Any:
        if sys.modules.get(self.__name__) is self:  # still a placeholder: no real package yet
            raise AttributeError(f"placeholder module {self.__name__!r} has no {attr!r}")
        real = importlib.import_module(self.__name__)
        if hasattr(real, attr):
            return getattr(real, attr)
        return importlib.import_module(f"{self.__name__}.{attr}")


def _placeholders() -> dict[str, types.ModuleType]:
    """What kube_config imports at module level only for an OIDC token refresh."""
    requests_oauthlib = types.ModuleType("requests_oauthlib")
    requests_oauthlib.OAuth2Session = _OAuth2SessionOnDemand  # type: ignore[attr-defined]
    oauthlib = _PackageOnDemand("oauthlib")
    return {"oauthlib": oauthlib, "oauthlib.oauth2": _PackageOnDemand("oauthlib.oauth2"),
            "requests_oauthlib": requests_oauthlib}


def _import_client() -> bool:
    """Load _CLIENT_MODULES without the packages' __init__ files; True if that worked. False
    when a package was imported already or the lean import failed (everything it registered
    is removed again): the imports below then run the usual way."""
    if any(name in sys.modules for name in _LEAN_PACKAGES):
        return False
    packages: list[types.ModuleType] = []
    try:
        for name in _LEAN_PACKAGES:
            spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None or spec.submodule_search_locations is None:
                raise ImportError(f"{name} is not a package")
            package = importlib.util.module_from_spec(spec)  # not executed
            sys.modules[name] = package
            packages.append(package)
            parent, _, child = name.rpartition(".")
            if parent:
                setattr(sys.modules[parent], child, package)
        client = sys.modules["kubernetes.client"]
        client.Configuration = importlib.import_module(  # type: ignore[attr-defined]
            "kubernetes.client.configuration").Configuration
        client.ApiClient = _ApiClientOnDemand  # type: ignore[attr-defined]
        placeholders = {name: module for name, module in _placeholders().items()
                        if name.split(".")[0] not in sys.modules}
        sys.modules.update(placeholders)
        try:
            for name in _CLIENT_MODULES:
                importlib.import_module(name)
        finally:
            for name, module in placeholders.items():
                if sys.modules.get(name) is module:
                    del sys.modules[name]
    except Exception:
        for name in [m for m in sys.modules if m.split(".")[0] == "kubernetes"]:
            del sys.modules[name]
        return False
    del client.ApiClient  # kube_config holds the stand-in; the package gets the real class
    for package in packages:
        package.__dict__["__getattr__"] = _init_on_demand(package)
    return True


def _init_on_demand(package: types.ModuleType) -> Callable[[str], Any]:
    """A lean package's ``__getattr__``: the first name it lacks runs its real __init__ (once;
    meanwhile, and after, a missing name is missing)."""
    done = False

    def __getattr__(attr: str) -> Any:
        nonlocal done
        with _INIT_LOCK:
            if not done:
                done = True
                package.__spec__.loader.exec_module(package)  # type: ignore[union-attr]
                return getattr(package, attr)
            if attr in package.__dict__:  # defined by the __init__ another thread ran
                return package.__dict__[attr]
        raise AttributeError(f"module {package.__name__!r} has no attribute {attr!r}")

    return __getattr__


LEAN_CLIENT = _import_client()

# the names, from the modules loaded above (or imported now, the usual way)
from kubernetes.client.configuration import Configuration  # noqa: E402
from kubernetes.client.exceptions import ApiException as ApiException  # noqa: E402, PLC0414
from kubernetes.client.rest import RESTClientObject  # noqa: E402
from kubernetes.config import kube_config  # noqa: E402
from kubernetes.config.config_exception import ConfigException  # noqa: E402


def _string_constant(code: types.CodeType, prefix: str) -> str | None:
    for const in code.co_consts:
        if isinstance(const, str) and const.startswith(prefix):
            return const
        if isinstance(const, types.CodeType) and (found := _string_constant(const, prefix)):
            return found
    return None


def _generated_user_agent() -> str:
    """The User-Agent the client's ApiClient sends ("OpenAPI-Generator/37.0.2/python"): a
    constant of kubernetes/client/api_client.py, read from its compiled code without running
    it. Only if it is not found there is the module imported, to ask an ApiClient."""
    spec = importlib.util.find_spec("kubernetes.client.api_client")
    get_code = getattr(spec.loader, "get_code", None) if spec is not None else None
    code = get_code(spec.name) if get_code is not None and spec is not None else None
    found = _string_constant(code, "OpenAPI-Generator/") if code is not None else None
    if found is not None:
        return found
    from kubernetes.client.api_client import ApiClient

    return str(ApiClient(Configuration()).user_agent)


class RawApi:
    """The two calls of the client's ApiClient podwhy makes, for raw GETs, without its module
    (which loads pydantic and python-dateutil): :meth:`param_serialize` and :meth:`call_api`,
    the same requests over the same urllib3 pool (kubernetes.client.rest: the kubeconfig's TLS,
    proxy and client certificate settings), with the bearer token from the Configuration
    (refreshed by an exec plugin's hook on expiry) and ApiClient's User-Agent.
    tests/test_cluster_client.py checks that ApiClient builds the same requests."""

    def __init__(self, configuration: Any) -> None:
        self.configuration = configuration
        self.rest_client = RESTClientObject(configuration)
        self.default_headers: dict[str, str] = {"User-Agent": _generated_user_agent()}

    @property
    def user_agent(self) -> str:
        return self.default_headers["User-Agent"]

    @user_agent.setter
    def user_agent(self, value: str) -> None:
        self.default_headers["User-Agent"] = value

    def set_default_header(self, name: str, value: str) -> None:
        self.default_headers[name] = value

    def param_serialize(self, method: str, resource_path: str,
                        query_params: Sequence[tuple[str, str | int]] | None = None,
                        header_params: dict[str, str] | None = None,
                        auth_settings: Sequence[str] | None = None,
                        ) -> tuple[str, str, dict[str, str], None, None]:
        """ApiClient.param_serialize for a request without path parameters or a body:
        (method, URL, headers, body None, post_params None). ``query_params`` values are
        strings or ints, percent-encoded as ApiClient does (``quote``, ``/`` kept)."""
        headers = dict(header_params or {})
        headers.update(self.default_headers)
        queries = list(query_params or ())
        for name in auth_settings or ():
            auth = self.configuration.auth_settings().get(name)
            if not auth:
                continue
            if auth["in"] == "header" and auth["type"] != "http-signature":
                headers[auth["key"]] = auth["value"]
            elif auth["in"] == "query":
                queries.append((auth["key"], auth["value"]))
            else:  # ApiClient supports cookies too; no kubeconfig makes one
                raise ValueError(f"unsupported credentials: {auth['type']} in {auth['in']}")
        url = self.configuration.host + resource_path
        if queries:
            url += "?" + "&".join(f"{k}={quote(str(v))}" for k, v in queries)
        return method, url, headers, None, None

    def call_api(self, method: str, url: str, header_params: dict[str, str] | None = None,
                 _request_timeout: float | tuple[float, float] | None = None) -> Any:
        """ApiClient.call_api: the response (kubernetes.client.rest.RESTResponse: status,
        reason, and the urllib3 response, not read yet)."""
        return self.rest_client.request(method, url, headers=header_params,
                                        _request_timeout=_request_timeout)

#: namespace runs GET at most this many workloads named by FailedCreate events
MAX_WORKLOAD_GETS = 50
#: the largest answer read (one GET, one page of a LIST)
MAX_RESPONSE_BYTES = 512 << 20
PAGE_SIZE = 2000  # measured: 20% faster than kubectl's 500 on 10,000 pods, same peak RSS
#: a LIST with more pages than this (ten million objects) does not end
MAX_PAGES = 1000  # 2,000,000 objects of a kind: beyond any real cluster
MAX_EMPTY_PAGES = 10
#: pods whose pull events are fetched one by one; past this, one LIST per reason
MAX_PULL_PODS = 20
#: container logs read at once (crashlog asks for one per verdict group, 20 at most)
LOG_CONCURRENCY = 4
#: how long a run waits for its container logs, all together, at most (or --request-timeout
#: when shorter); a log not read by then is left out, with a warning
LOG_SECONDS = 10.0
#: the bytes of one log read at most, whatever the server does with limitBytes
MAX_LOG_BYTES = 256 << 10
#: the lines asked for again when a tail did not fit in limitBytes (its end was cut off)
SHORT_TAIL = 20
#: what a run says about logs it could not read, at most (then "and N more")
MAX_LOG_NOTES = 3
#: shell completion: the names offered at most (one page of one LIST)
COMPLETION_LIMIT = 500


#: Python's names for operating systems and machines, as Go (GOOS, GOARCH) spells them
_GOOS = {"win32": "windows", "cygwin": "windows"}
_GOARCH = {"x86_64": "amd64", "amd64": "amd64", "aarch64": "arm64", "arm64": "arm64",
           "i386": "386", "i686": "386", "x86": "386", "armv7l": "arm", "armv6l": "arm"}


def go_platform(system: str, machine: str) -> str:
    """``os/arch`` as Go names them (``linux/amd64``, ``darwin/arm64``, ``windows/amd64``)
    from Python's ``sys.platform`` and ``platform.machine()``; other machines lower-cased
    (``ppc64le``, ``s390x`` are the same in both)."""
    os_name = _GOOS.get(system, re.sub(r"\d+$", "", system))  # linux2, freebsd14 -> freebsd
    return f"{os_name}/{_GOARCH.get(machine.lower(), machine.lower() or 'unknown')}"


def user_agent() -> str:
    """The User-Agent of every request: ``kubectl-podwhy/0.1.0 (linux/amd64)
    kubernetes-python/33.1.0``, in the shape of kubectl's ``kubectl/v1.33.0 (linux/amd64)
    kubernetes/<commit>`` (client-go rest.DefaultKubernetesUserAgent,
    staging/src/k8s.io/client-go/rest/config.go), so that audit logs and API priority and
    fairness tell podwhy's requests from kubectl's (the client's default says only
    ``OpenAPI-Generator/<version>/python``)."""
    return (f"kubectl-podwhy/{__version__} ({go_platform(sys.platform, platform.machine())}) "
            f"kubernetes-python/{_client_version()}")


def _client_version() -> str:
    """The kubernetes client's version ("37.0.2"), from its generated User-Agent: asking
    importlib.metadata costs about 60 ms at start-up, the package's own ``__version__`` is not
    loaded in a lean import."""
    parts = _generated_user_agent().split("/")
    return parts[1] if len(parts) >= 2 else "unknown"


def _is_status(exc: ApiException) -> bool:
    """Is the error body a Kubernetes Status (what an API server answers), not a proxy's
    HTML page?"""
    try:
        body = json.loads(exc.body) if exc.body else None
    except (ValueError, TypeError, RecursionError):
        return False
    return isinstance(body, dict) and body.get("kind") == "Status"


def _status_message(exc: ApiException) -> str:
    try:
        body = json.loads(exc.body) if exc.body else {}
        msg = body.get("message") if isinstance(body, dict) else None
    except (ValueError, TypeError):
        msg = None
    return str(msg or exc.reason or f"HTTP {exc.status}")


class ClusterSource:
    """Gathers pods and what their rules need from one cluster context."""

    def __init__(self, kubeconfig: str | None = None, context: str | None = None,
                 request_timeout: float | None = None, lean: bool = True) -> None:
        self.timeout = request_timeout
        #: keep only what rules read (off for --dump, which records objects whole)
        self.lean = lean
        #: read every pod event of a namespace run in one list (a following source watches
        #: it) instead of leaving the pull events on the server and fetching them per pod
        self.whole_event_lists = False
        # KUBECONFIG may name several files (':'-separated); the client merges their entries.
        path = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
        if context is None and not kubeconfig:
            context = _first_current_context(path)
        self._where = f"kubeconfig {path}"
        if not kubeconfig and not os.environ.get("KUBECONFIG") and \
                not os.path.exists(os.path.expanduser(path)):
            raise ClusterError("no kubeconfig: set KUBECONFIG or pass --kubeconfig "
                               "(or use -f to read saved objects)")
        cfg = Configuration()
        try:
            # what load_kube_config does, keeping its loader for the context's namespace:
            # list_kube_config_contexts would demand a current-context even when --context
            # names one (kubectl does not)
            loader = kube_config._get_kube_config_loader(
                filename=path, active_context=context, persist_config=False)
            loader.load_and_set(cfg)
            contexts, current = loader.list_contexts(), loader.current_context
        except ConfigException as exc:
            text = str(exc)
            if "Expected key current-context" in text:
                text = ("it sets no current-context: pass --context NAME, or run kubectl "
                        "config use-context NAME")
            elif context and f"Expected object with name {context} in" in text:
                text = f'context "{context}" does not exist'
            raise ClusterError(f"cannot use {self._where}: {text}") from None
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            # the client raises these for unreadable or malformed files
            raise ClusterError(f"cannot use {self._where}: {type(exc).__name__}: {exc}") from None
        active = next((c for c in contexts if c.get("name") == context), None) if context \
            else current
        self.context = str(active.get("name")) if isinstance(active, dict) else (context or "")
        ctx = active.get("context") if isinstance(active, dict) else None
        self.default_namespace = str(as_dict(ctx).get("namespace") or "default")
        cfg.retries = False  # fail fast: one attempt, bounded by --request-timeout
        self.server = str(cfg.host)
        self._api = RawApi(cfg)
        self._api.user_agent = user_agent()

    # --- plumbing ---------------------------------------------------------------------------

    @contextmanager
    def _errors(self, what: str) -> Iterator[None]:
        try:
            yield
        except ApiException as exc:
            if exc.status == 401:
                raise ClusterError(f"unauthorized: the server {self.server} rejected the "
                                   f"credentials of context {self.context!r}") from None
            if exc.status == 403:
                raise ClusterError(f"forbidden: cannot {what}: {_status_message(exc)}") from None
            if exc.status == 404:
                if not _is_status(exc):
                    raise ClusterError(f"HTTP 404 from {self.server} without a Kubernetes "
                                       "Status: is it a Kubernetes API server, or a proxy in "
                                       "the way?") from None
                raise NotFoundError(_status_message(exc)) from None
            if exc.status == 0 or exc.status is None:
                # the client wraps urllib3's SSLError into ApiException(status=0)
                reason = str(exc.reason or "")
                if "SSL" in reason or "certificate" in reason.lower():
                    raise ClusterError(f"TLS error talking to {self.server}: "
                                       f"{_tls_reason(reason)}") from None
                raise ClusterError(f"cannot reach {self.server}: {reason}") from None
            raise ClusterError(f"cannot {what}: HTTP {exc.status}: {_status_message(exc)}"
                               ) from None
        except urllib3.exceptions.SSLError as exc:
            raise ClusterError(f"TLS error talking to {self.server}: {_short(exc)}") from None
        except urllib3.exceptions.NewConnectionError as exc:
            # checked before timeouts: urllib3 makes it a subclass of ConnectTimeoutError
            raise ClusterError(f"cannot reach {self.server}: {_short(exc)}") from None
        except (urllib3.exceptions.ConnectTimeoutError, urllib3.exceptions.ReadTimeoutError,
                TimeoutError):
            raise ClusterError(f"timed out talking to {self.server} after "
                               f"{self.timeout or 0:g}s (--request-timeout)") from None
        except urllib3.exceptions.MaxRetryError as exc:
            raise ClusterError(f"cannot reach {self.server}: {_short(exc.reason or exc)}"
                               ) from None
        except urllib3.exceptions.HTTPError as exc:
            raise ClusterError(f"cannot reach {self.server}: {_short(exc)}") from None
        except OSError as exc:
            raise ClusterError(f"cannot reach {self.server}: {exc}") from None
        except ValueError as exc:
            if "Invalid header" not in str(exc):
                raise
            # http.client refuses a header with a line break (a token file's trailing
            # newline, or an injected header); the value is a secret: never shown
            raise ClusterError(f"cannot send the credentials of context {self.context!r}: a "
                               "header value holds a line break or another control character "
                               "(a token pasted with its newline?)") from None

    def _get(self, path: str, **query: str | int) -> JSON:  # query: API names (labelSelector)
        """GET one object (or one page): what the rules read goes through here and
        :meth:`_list`, so that a following source can answer both from its watches."""
        return self._fetch(path, **query)

    def _fetch(self, path: str, **query: str | int) -> JSON:
        """GET a path through the official client's config, auth and TLS (RawApi), raw.

        The generated API classes are deliberately not used: importing them builds hundreds
        of pydantic models (over a second), and podwhy never uses models, only JSON.
        """
        method, url, headers, _, _ = self._api.param_serialize(
            "GET", path, query_params=[(k, v) for k, v in query.items() if v not in (None, "")],
            header_params={"Accept": "application/json"}, auth_settings=["BearerToken"])
        with deadline(self.timeout, f"talking to {self.server}"):
            resp = self._api.call_api(method, url, header_params=headers,
                                      _request_timeout=self.timeout)
            data = self._read(resp.response, path)
        if not 200 <= resp.status <= 299:
            raise ApiException(status=resp.status, reason=resp.reason,
                               body=data.decode("utf-8", "replace") if data else None)
        doc = self._json(path, data)
        if not isinstance(doc, dict):
            raise UnusableAnswer(f"the server's answer to GET {path} is not a JSON object "
                               f"(a {type(doc).__name__}): is {self.server} a Kubernetes API "
                               "server?")
        return _slim(doc)

    def _read(self, raw: Any, path: str, cut_at: int | None = None) -> bytes:
        """The body of urllib3 response ``raw`` (not read yet: the client does not preload),
        in 1 MiB chunks; ClusterError past MAX_RESPONSE_BYTES, so a server cannot fill the
        memory (a page of PAGE_SIZE real objects is tens of MB). With ``cut_at`` (a log:
        its start is worth having) the body is cut there instead, without an error."""
        chunks: list[bytes] = []
        total = 0
        try:
            for chunk in raw.stream(1 << 20 if cut_at is None else min(1 << 20, cut_at)):
                total += len(chunk)
                if cut_at is not None and total >= cut_at:
                    chunks.append(chunk)
                    break
                if total > MAX_RESPONSE_BYTES:
                    raise UnusableAnswer(
                        f"the server's answer to {path} is larger than "
                        f"{MAX_RESPONSE_BYTES >> 20} MiB: is {self.server} a Kubernetes API "
                        "server?")
                chunks.append(chunk)
        finally:
            raw.release_conn()
        return b"".join(chunks)[:cut_at]

    def _json(self, path: str, data: bytes) -> Any:
        """The body as JSON, whatever the server sent: HTML from a proxy, a body nested too
        deeply or with numbers too long to convert, bytes that are not UTF-8."""
        try:
            return json.loads(data)
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
            start = data[:60].decode("utf-8", "replace")
            raise UnusableAnswer(f"the server's answer to GET {path} is not usable JSON "
                               f"({type(exc).__name__}; it starts {start!r}): is {self.server} "
                               "a Kubernetes API server, or a proxy in the way?") from None

    def _list(self, path: str, shape: Callable[[JSON], JSON] | None = None,
              **query: str | int) -> tuple[list[JSON], str]:
        """Every page of a LIST; returns the items (passed through ``shape`` page by page,
        so a large LIST never holds every full object at once) and the list kind."""
        items, kind, _ = self._list_pages(path, shape, **query)
        return items, kind

    def _list_pages(self, path: str, shape: Callable[[JSON], JSON] | None = None,
                    **query: str | int) -> tuple[list[JSON], str, str]:
        """:meth:`_list` from the server, with the list's resourceVersion (a WATCH starts
        there: the API concepts page, "Efficient detection of changes")."""
        items: list[JSON] = []
        token: str | None = None
        seen: set[str] = set()
        # a namespaced LIST answers with objects of that namespace only
        m = re.match(r"/apis?/.*?/namespaces/([^/]+)/", path)
        scope = m.group(1) if m else None
        kind = ""
        empty = 0  # consecutive empty pages that still say "continue"
        for _ in range(MAX_PAGES):
            page = self._fetch(path, limit=PAGE_SIZE, **({"continue": token} if token else {}),
                             **query)
            kind = str(page.get("kind") or kind)
            raw_items = page.get("items")
            if not isinstance(raw_items, list):
                # an API server always writes "items" (empty: []); "{}" is not a LIST's answer
                raise UnusableAnswer(f"the server's answer to LIST {path} has no list of items: "
                                   f"is {self.server} a Kubernetes API server?")
            bad = [i for i in raw_items if not isinstance(i, dict)]
            if bad:
                # dropping it would hide an object: an unreadable pod is never "no pods"
                raise UnusableAnswer(f"the server's answer to LIST {path} holds an item that is "
                                     f"not an object ({type(bad[0]).__name__}): is "
                                     f"{self.server} a Kubernetes API server?")
            page_items = [_slim(i) for i in raw_items]
            if scope is not None:
                other = next((ns for ns in (as_dict(i.get("metadata")).get("namespace")
                                            for i in page_items)
                              if isinstance(ns, str) and ns != scope), None)
                if other is not None:
                    raise UnusableAnswer(f"the server's answer to LIST {path} holds objects of "
                                         f"namespace {other!r}: is {self.server} a Kubernetes "
                                         "API server?")
            items += [shape(i) for i in page_items] if shape and self.lean else page_items
            meta = page.get("metadata")
            token = meta.get("continue") if isinstance(meta, dict) else None
            if (meta is not None and not isinstance(meta, dict)) or \
                    (token is not None and not isinstance(token, str)):
                raise UnusableAnswer(f"the server's answer to LIST {path} has a malformed "
                                     "metadata.continue: its pagination cannot be followed")
            rv = meta.get("resourceVersion") if isinstance(meta, dict) else None
            del page, page_items
            if not token:
                return items, kind, rv if isinstance(rv, str) else ""
            if token in seen:
                raise UnusableAnswer(f"the server repeats the same continue token for LIST "
                                   f"{path}: its pagination does not end")
            seen.add(token)
            # the API server fills a page up to its limit before it says "continue"
            # (storage's GetList keeps reading while filtering): empty pages that go on
            # are a server stalling, each just within --request-timeout
            empty = empty + 1 if not raw_items else 0
            if empty > MAX_EMPTY_PAGES:
                raise UnusableAnswer(f"the server's answer to LIST {path} goes on with empty "
                                     f"pages ({empty} in a row): its pagination does not end")
        raise UnusableAnswer(f"LIST {path} has more than {MAX_PAGES} pages of {PAGE_SIZE}")

    # --- what the rules need ------------------------------------------------------------------

    def gather(self, namespace: str | None, targets: Sequence[Target] = (),
               all_namespaces: bool = False, selector: str | None = None) -> Gathered:
        """:meth:`kubectl_podwhy.sources.Source.gather` on the cluster. ``namespace`` None:
        the kubeconfig context's (UsageError if it cannot name one). Without targets,
        workloads stay when the pods they make would match ``selector``. Raises
        NotFoundError when nothing matches ``selector``; an empty namespace is no error
        (``Gathered.nothing_found`` says it, as kubectl does)."""
        ns = namespace if namespace is not None else check_namespace(
            self.default_namespace, "the kubeconfig context's namespace")
        g = self._gather(ns, targets, all_namespaces, selector)
        if selector and not targets:
            keep_selected(g, parse_selector(selector))
        g.workload_targets = [(t.kind, ns, t.name) for t in targets if not t.is_pod] or None
        g.pod_targets = [(ns, t.name) for t in targets if t.is_pod]
        if not g.pods and not g.workloads:
            where = "any namespace" if all_namespaces else f"namespace {ns}"
            if selector:
                raise NotFoundError(f"no pods match {selector!r} in {where}")
            g.nothing_found = f"No pods found in {where}."
        return g

    def _gather(self, namespace: str, targets: Sequence[Target], all_namespaces: bool,
                selector: str | None) -> Gathered:
        """Collect what the rules need, with one (paginated) LIST per kind per scope.

        Named pods alone: GET each and LIST its events by UID. Workload targets, a selector
        or a whole namespace: LIST pods once, LIST events once (plus one LIST of the
        workloads' own events), and the owner kinds the targets need (ReplicaSets, Jobs).
        """
        g = Gathered(authoritative=True)
        workloads = [t for t in targets if not t.is_pod]
        pod_names = [t.name for t in targets if t.is_pod]
        if targets and not workloads and not selector:
            for name in pod_names:
                g.pods.append(self._get_pod(namespace, name))
            for pod in g.pods:
                self._pod_events(g, pod)
            self._nodes(g)
            self._pvcs(g)
            return g
        g.workloads = [self._get_workload(namespace, t) for t in workloads]
        child_kinds = {c for t in workloads if (c := KINDS[t.kind].child) is not None}
        listed = [c for kind in sorted(child_kinds) for c in self._list_kind(kind, namespace)]
        children = owned({meta_str(w, "uid") for w in g.workloads}, listed)
        g.workloads += children
        owner_uids = {meta_str(w, "uid") for w in g.workloads} - {""}
        label_selector = selector or (self._selector_of(g.workloads[0])
                                      if len(workloads) == 1 and not pod_names else None)
        scope = "all namespaces" if all_namespaces else f"namespace {namespace}"
        with self._errors(f"list pods in {scope}"):
            kw = {"labelSelector": label_selector} if label_selector else {}
            if all_namespaces:
                pods, _ = self._list("/api/v1/pods", trim_pod, **kw)
            else:
                pods, _ = self._list(POD.path(namespace), trim_pod, **kw)
        if targets:
            wanted = set(pod_names)
            kept = [p for p in pods if controller_uid(p) in owner_uids
                    or as_dict(p.get("metadata")).get("name") in wanted]
            if workloads:  # what the owner-chain walk could not place
                placed = {id(o) for o in (*children, *kept)}
                g.unattributed = unplaced((o for o in (*listed, *pods) if id(o) not in placed),
                                          namespace)
            found = {as_dict(p.get("metadata")).get("name") for p in kept}
            for name in pod_names:
                if name not in found:
                    raise NotFoundError(self._missing_pod_message(namespace, name))
            pods = kept
        g.pods = [dict(p, kind="Pod", apiVersion="v1") for p in pods]
        if g.pods:
            pod_events = "involvedObject.kind=Pod"
            if self.lean and not self.whole_event_lists:
                pod_events += "".join(f",reason!={r}" for r in (*UNREAD_EVENT_REASONS,
                                                                 *PULL_EVENT_REASONS))
            self._namespace_events(g, namespace, all_namespaces, pod_events)
            if self.lean and not self.whole_event_lists:
                self._pull_events(g, namespace, all_namespaces)
        if workloads:
            self._namespace_events(g, namespace, all_namespaces, "involvedObject.kind!=Pod")
        elif not targets:
            self._failing_creators(g, namespace, all_namespaces)
            if not g.pods and not g.workloads and not all_namespaces:
                self._namespace_exists(namespace)
        self._nodes(g, every_node=any(t.kind == "DaemonSet" for t in workloads))
        self._pvcs(g)
        return g

    def _selector_of(self, workload: JSON) -> str | None:
        """A workload's matchLabels as a label selector: narrows the pod LIST on big
        namespaces (ownership is still checked by UID, so a superset is harmless)."""
        sel = as_dict(as_dict(workload.get("spec")).get("selector"))
        labels = sel.get("matchLabels") if isinstance(sel, dict) else None
        if not isinstance(labels, dict) or not labels or sel.get("matchExpressions"):
            return None
        return ",".join(f"{k}={v}" for k, v in sorted(labels.items()))

    def _get_workload(self, namespace: str, t: Target) -> JSON:
        try:
            with self._errors(f"get {t.kind.lower()} {t.name} in namespace {namespace}"):
                obj = self._get(KINDS[t.kind].path(namespace, t.name))
        except NotFoundError:
            raise NotFoundError(self._missing_message(namespace, t.kind.lower(), t.name)
                                ) from None
        return self._check(obj, t.kind, KINDS[t.kind].api_version, namespace, t.name)

    def names(self, kind: str, namespace: str) -> list[str]:
        """Shell completion: the names of the first COMPLETION_LIMIT objects of ``kind`` (a
        KINDS name, or "Namespace": then ``namespace`` is ignored), sorted. One LIST of one
        page, bounded by --request-timeout like every request."""
        path = "/api/v1/namespaces" if kind == "Namespace" else KINDS[kind].path(namespace)
        with self._errors(f"list {kind.lower()}s"):
            doc = self._fetch(path, limit=COMPLETION_LIMIT)
        items = doc.get("items")
        return sorted(meta_str(i, "name") for i in items if isinstance(i, dict)) \
            if isinstance(items, list) else []

    def _list_kind(self, kind: str, namespace: str) -> list[JSON]:
        with self._errors(f"list {kind.lower()}s in namespace {namespace}"):
            items, _ = self._list(KINDS[kind].path(namespace))
        return [dict(i, kind=kind, apiVersion=KINDS[kind].api_version) for i in items]

    def _get_pod(self, namespace: str, name: str) -> JSON:
        try:
            with self._errors(f"get pod {name} in namespace {namespace}"):
                pod = self._get(POD.path(namespace, name))
        except NotFoundError:
            raise NotFoundError(self._missing_pod_message(namespace, name)) from None
        return self._check(pod, "Pod", "v1", namespace, name)

    def _check(self, obj: JSON, kind: str, api_version: str, namespace: str | None,
               name: str) -> JSON:
        """The object GET returned is the one asked for (an API server always says so):
        its kind (when it says one), name and namespace (None: a cluster-scoped kind);
        UnusableAnswer otherwise."""
        meta = obj.get("metadata")
        if obj.get("kind", kind) != kind or not isinstance(meta, dict) \
                or meta.get("name") != name or meta.get("namespace", namespace) != namespace:
            raise UnusableAnswer(f"the server's answer to GET {kind.lower()} {name} is not that "
                               f"{kind}: is {self.server} a Kubernetes API server?")
        return dict(obj, kind=kind, apiVersion=api_version)

    def _missing_pod_message(self, namespace: str, name: str) -> str:
        return self._missing_message(namespace, "pod", name)

    def _missing_message(self, namespace: str, kind: str, name: str) -> str:
        try:
            self._get(f"/api/v1/namespaces/{namespace}")
        except ApiException as exc:
            if exc.status == 404 and _is_status(exc):
                return f'namespace "{namespace}" not found (looking for {kind} "{name}")'
        except (Exception, _Deadline):  # only refines a message: the object is missing anyway
            pass
        return f'{kind} "{name}" not found in namespace "{namespace}"'

    # --- container logs (kubectl_podwhy.crashlog) -----------------------------------------

    def read_logs(self, g: Gathered, requests: Sequence[LogRequest]) -> None:
        """Read the container logs ``requests`` name into ``g.logs``, LOG_CONCURRENCY at a
        time, within LOG_SECONDS (or --request-timeout) in all. A log that cannot be read
        leaves the verdict as it is, with a one-line note in ``g.notes[""]``: one for all when
        pods/log is forbidden (RBAC: get on pods/log), else one per log (MAX_LOG_NOTES).
        Never raises for a log: the diagnosis stands without it."""
        # "." and ".." would be dot segments of the path, not names (no API server has
        # such a pod or namespace; a server that claims one gets no request)
        requests = [r for r in requests if not {r.namespace, r.pod} & {".", ".."}]
        if not requests:
            return
        results: list[ContainerLog | ApiException | ClusterError | None] = [None] * len(
            requests)
        todo = list(enumerate(requests))
        lock = threading.Lock()

        def work() -> None:
            while True:
                with lock:
                    if not todo:
                        return
                    i, req = todo.pop(0)
                try:
                    results[i] = self._fetch_log(req)
                except (ApiException, ClusterError) as exc:
                    results[i] = exc
                except Exception as exc:  # a log is never worth failing the run over
                    results[i] = ClusterError(f"{type(exc).__name__}: {exc}")

        budget = min(self.timeout or LOG_SECONDS, LOG_SECONDS)
        # daemon threads: one a server never answers is left behind when the run ends
        threads = [threading.Thread(target=work, daemon=True, name="podwhy-logs")
                   for _ in range(min(LOG_CONCURRENCY, len(requests)))]
        end = time.monotonic() + budget
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(0.0, end - time.monotonic()))
        notes: list[str] = []
        forbidden: list[str] = []
        for req, res in zip(requests, results, strict=True):
            what = (f"the {'previous' if req.previous else 'current'} log of container "
                    f"{req.container} of pod {req.namespace}/{req.pod}")
            if isinstance(res, ContainerLog):
                g.logs[req.key] = res
            elif isinstance(res, ApiException) and res.status == 403:
                forbidden.append(_status_message(res))
            elif isinstance(res, ApiException) and res.status == 404 and _is_status(res) \
                    and "pods " in _status_message(res):
                continue  # the pod is gone since it was read: nothing to tell
            elif isinstance(res, ApiException):
                notes.append(f"{what} could not be read: HTTP {res.status}: "
                             f"{_status_message(res)}")
            elif isinstance(res, ClusterError):
                notes.append(f"{what} could not be read: {res.message}")
            else:
                notes.append(f"{what} was not read within {budget:g}s")
        if forbidden:  # one line for all (RBAC forbids a namespace or the whole cluster)
            some = "" if len(forbidden) == len(requests) else \
                f"{len(forbidden)} of {len(requests)} "
            self._note(g, "", f"cannot read {some}container logs ({forbidden[0]}); the "
                              f"verdicts are shown without {'them' if not some else 'those'} "
                              "(reading them needs get on pods/log)")
        for text in notes[:MAX_LOG_NOTES]:
            self._note(g, "", text)
        if len(notes) > MAX_LOG_NOTES:
            self._note(g, "", f"{len(notes) - MAX_LOG_NOTES} more container logs could not "
                              "be read")

    def _fetch_log(self, req: LogRequest) -> ContainerLog:
        """GET pods/{name}/log with tailLines and limitBytes (core/v1 PodLogOptions); the
        body is read up to MAX_LOG_BYTES whatever the server does. The kubelet applies
        limitBytes from the start of the tail, so a tail longer than it loses its end, where
        the crash is: then the last SHORT_TAIL lines are asked for once more. Raises
        ApiException for an HTTP error, ClusterError when the server cannot be reached."""
        log = self._fetch_tail(req)
        if log.truncated and req.tail_lines > SHORT_TAIL:
            short = self._fetch_tail(replace(req, tail_lines=SHORT_TAIL))
            return ContainerLog(req, short.lines, truncated=True)
        return log

    def _fetch_tail(self, req: LogRequest) -> ContainerLog:
        # names as the bundle holds them: quoted, so that no name can reach another path
        path = f"{POD.path(quote(req.namespace, safe=''), quote(req.pod, safe=''))}/log"
        query = [("container", req.container), ("previous", "true" if req.previous else
                                                 "false"),
                 ("tailLines", str(req.tail_lines)), ("limitBytes", str(LIMIT_BYTES))]
        method, url, headers, _, _ = self._api.param_serialize(
            "GET", path, query_params=query, header_params={"Accept": "text/plain, */*"},
            auth_settings=["BearerToken"])
        with self._errors(f"read the log of pod {req.pod}"):
            resp = self._api.call_api(method, url, header_params=headers,
                                      _request_timeout=self.timeout or LOG_SECONDS)
            data = self._read(resp.response, path, cut_at=MAX_LOG_BYTES)
        if not 200 <= resp.status <= 299:
            raise ApiException(status=resp.status, reason=resp.reason,
                               body=data.decode("utf-8", "replace") if data else None)
        text = data.decode("utf-8", "replace")
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        # only the tail asked for, whatever the server sent
        return ContainerLog(req, tuple(line.rstrip("\r") for line in lines[-req.tail_lines:]),
                            truncated=len(data) >= LIMIT_BYTES)

    def _note(self, g: Gathered, key: str, text: str) -> None:
        g.notes.setdefault(key, []).append(text)

    def _pod_events(self, g: Gathered, pod: JSON) -> None:
        meta = as_dict(pod.get("metadata"))
        uid, ns = str(meta.get("uid") or ""), str(meta.get("namespace") or "default")
        # One LIST by the pod's UID: events of a previous pod with the same name, or of a
        # ReplicaSet named like the pod, never match. events.k8s.io/v1 events are the same
        # stored objects, so this list returns events written through either API.
        try:
            with self._errors(f"list events in namespace {ns}"):
                events, _ = self._list(f"/api/v1/namespaces/{ns}/events",
                                       fieldSelector=f"involvedObject.uid={uid}")
        except UnusableAnswer:
            raise
        except ClusterError as exc:
            self._note(g, uid, f"events could not be read ({exc.message}); "
                               "the verdict comes from the pod's status alone")
            return
        g.events += [dict(e, kind="Event", apiVersion="v1") for e in events]

    def _pull_events(self, g: Gathered, namespace: str, all_namespaces: bool) -> None:
        """The PULL_EVENT_REASONS events left on the server, for the pods whose verdict they
        can change (snapshot.pull_event_pods): each such pod's events by uid, or, past
        MAX_PULL_PODS of them, one LIST per reason."""
        need = pull_event_pods(g)
        if len(need) > MAX_PULL_PODS:
            for reason in PULL_EVENT_REASONS:
                self._namespace_events(g, namespace, all_namespaces,
                                       f"involvedObject.kind=Pod,reason={reason}")
            return
        for pod in g.pods:
            if meta_str(pod, "uid") in need:
                self._pod_events(g, pod)

    def _namespace_events(self, g: Gathered, namespace: str, all_namespaces: bool,
                          field_selector: str) -> None:
        try:
            with self._errors(f"list events in namespace {namespace}"):
                if all_namespaces:
                    events, _ = self._list("/api/v1/events", trim_event,
                                           fieldSelector=field_selector)
                else:
                    events, _ = self._list(f"/api/v1/namespaces/{namespace}/events",
                                           trim_event,
                                           fieldSelector=field_selector)
        except UnusableAnswer:
            raise
        except ClusterError as exc:
            self._note(g, "", f"events could not be read ({exc.message}); verdicts come "
                              "from pod status alone")
            return
        g.events += [dict(e, kind="Event", apiVersion="v1") for e in events]

    def _namespace_exists(self, namespace: str) -> None:
        """An empty namespace is healthy; one that does not exist is a typo (exit 4)."""
        try:
            with self._errors(f"get namespace {namespace}"):
                self._check(self._get(f"/api/v1/namespaces/{namespace}"), "Namespace", "v1",
                            None, namespace)
        except NotFoundError:
            raise NotFoundError(f'namespace "{namespace}" not found') from None
        except UnusableAnswer:
            raise
        except ClusterError:
            return  # not allowed to read namespaces: an empty result stays empty

    def _failing_creators(self, g: Gathered, namespace: str, all_namespaces: bool) -> None:
        """Namespace runs: a workload whose controller cannot create pods (quota, PodSecurity,
        a webhook, a missing ServiceAccount) has no pod to show. One LIST of FailedCreate
        events (usually empty) finds them; a GET each reads whether they still lack pods."""
        before = len(g.events)
        self._namespace_events(g, namespace, all_namespaces,
                               "involvedObject.kind!=Pod,reason=FailedCreate")
        seen: set[tuple[str, str, str]] = set()
        for e in g.events[before:]:
            obj = as_dict(e.get("involvedObject"))
            key = (str(obj.get("kind") or ""), str(obj.get("namespace") or namespace),
                   str(obj.get("name") or ""))
            if key[0] in WORKLOAD_KINDS and key not in seen:
                seen.add(key)
        for kind, ns, name in sorted(seen)[:MAX_WORKLOAD_GETS]:
            path = KINDS[kind].path(ns, name)
            try:
                with self._errors(f"get {kind.lower()} {name} in namespace {ns}"):
                    g.workloads.append(self._check(self._get(path), kind,
                                                   KINDS[kind].api_version, ns, name))
            except NotFoundError:
                g.missing_workloads.add((kind, ns, name))  # deleted: its events are history
            except UnusableAnswer:
                raise
            except ClusterError as exc:
                self._note(g, "", f"{kind.lower()}s could not be read ({exc.message}); "
                                  "their FailedCreate events are shown as they are")

    def _needs_node(self, pod: JSON) -> str | None:
        spec, status = as_dict(pod.get("spec")), as_dict(pod.get("status"))
        node = spec.get("nodeName")
        if node and status.get("phase") not in ("Succeeded", "Failed"):
            return str(node)
        return None

    def _nodes(self, g: Gathered, every_node: bool = False) -> None:
        """Nodes of the pods that run (a GET each for a few, else one LIST); every node when
        a pod is not scheduled (the scheduling rules read which nodes it may run on) or a
        DaemonSet is targeted."""
        wanted = sorted({n for n in (self._needs_node(p) for p in g.pods) if n})
        every_node = every_node or any(
            not as_dict(p.get("spec")).get("nodeName")
            and as_dict(p.get("status")).get("phase") not in ("Succeeded", "Failed")
            and not as_dict(p.get("metadata")).get("deletionTimestamp") for p in g.pods)
        if not wanted and not every_node:
            return
        try:
            if len(wanted) <= 3 and not every_node:
                for name in wanted:
                    try:
                        with self._errors(f"get node {name}"):
                            g.nodes[name] = self._check(self._get(f"/api/v1/nodes/{name}"),
                                                        "Node", "v1", None, name)
                    except NotFoundError:
                        g.missing_nodes.add(name)
            else:
                with self._errors("list nodes"):
                    nodes, _ = self._list("/api/v1/nodes")
                for n in nodes:
                    g.nodes[str(as_dict(n.get("metadata")).get("name"))] = dict(
                        n, kind="Node", apiVersion="v1")
                g.missing_nodes.update(w for w in wanted if w not in g.nodes)
                g.nodes_complete = True
        except UnusableAnswer:
            raise
        except ClusterError as exc:
            self._note(g, "", f"nodes could not be read ({exc.message}); node health is "
                              "judged from the pods' own status and events only")

    def _pvcs(self, g: Gathered) -> None:
        """Claims of unscheduled pods (only scheduling rules read them): a GET for a few, one
        LIST per scope for more."""
        wanted = {(str(as_dict(p.get("metadata")).get("namespace") or "default"), c)
                  for p in g.pods if not as_dict(p.get("spec")).get("nodeName")
                  for c in pod_claims(p)}
        if not wanted:
            return
        try:
            if len(wanted) <= 3:
                for ns, claim in sorted(wanted):
                    try:
                        with self._errors(f"get persistentvolumeclaim {claim}"):
                            g.pvcs[(ns, claim)] = self._check(self._get(
                                f"/api/v1/namespaces/{ns}/persistentvolumeclaims/{claim}"),
                                "PersistentVolumeClaim", "v1", ns, claim)
                    except NotFoundError:
                        g.missing_pvcs.add((ns, claim))
                return
            namespaces = {ns for ns, _ in wanted}
            with self._errors("list persistentvolumeclaims"):
                if len(namespaces) == 1:
                    items, _ = self._list(f"/api/v1/namespaces/{next(iter(namespaces))}"
                                          "/persistentvolumeclaims")
                else:
                    items, _ = self._list("/api/v1/persistentvolumeclaims")
            for pvc in items:
                meta = as_dict(pvc.get("metadata"))
                key = (str(meta.get("namespace") or "default"), str(meta.get("name")))
                if key in wanted:
                    g.pvcs[key] = dict(pvc, kind="PersistentVolumeClaim", apiVersion="v1")
            g.missing_pvcs.update(k for k in wanted if k not in g.pvcs)
        except UnusableAnswer:
            raise
        except ClusterError as exc:
            self._note(g, "", f"claims could not be read ({exc.message})")


class UnusableAnswer(ClusterError):
    """The server answered, but not with what a Kubernetes API server sends for that
    request: never a verdict, always exit 3 (unlike a read that is forbidden, which the
    optional reads note and go on without)."""


def _slim(obj: JSON) -> JSON:
    """Drop what no rule reads and what kubectl hides: managedFields and the
    last-applied-configuration annotation (often the largest parts of an object)."""
    meta = obj.get("metadata")
    if isinstance(meta, dict):
        meta.pop("managedFields", None)
        ann = meta.get("annotations")
        if isinstance(ann, dict):
            ann.pop("kubectl.kubernetes.io/last-applied-configuration", None)
    return obj


def _first_current_context(paths: str) -> str | None:
    """kubectl takes current-context from the FIRST file of a KUBECONFIG list that sets it;
    the Python client would let later files override it."""
    files = [p for p in paths.split(os.pathsep) if p]
    if len(files) < 2:
        return None
    for f in files:
        try:
            with open(os.path.expanduser(f), encoding="utf-8") as fh:
                doc = yaml.safe_load(fh)
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        if isinstance(doc, dict) and doc.get("current-context"):
            return str(doc["current-context"])
    return None


def context_names(kubeconfig: str | None) -> list[str]:
    """Shell completion: the context names of the kubeconfig (--kubeconfig, else every file
    of KUBECONFIG, else ~/.kube/config), sorted; read as plain YAML: no credentials are
    loaded or run. Files that cannot be read are skipped."""
    paths = kubeconfig or os.environ.get("KUBECONFIG") or "~/.kube/config"
    names: set[str] = set()
    for f in (paths.split(os.pathsep) if not kubeconfig else [paths]):
        try:
            with open(os.path.expanduser(f), encoding="utf-8") as fh:
                doc = yaml.safe_load(fh)
        except (OSError, yaml.YAMLError, UnicodeDecodeError):
            continue
        contexts = doc.get("contexts") if isinstance(doc, dict) else None
        if isinstance(contexts, list):
            names.update(c["name"] for c in contexts
                         if isinstance(c, dict) and isinstance(c.get("name"), str))
    return sorted(names)


def _tls_reason(reason: str) -> str:
    # "SSLError\nHTTPSConnectionPool(...): Max retries exceeded ... (Caused by SSLError(
    #  SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed:
    #  unable to get local issuer certificate (_ssl.c:1006)')))"
    m = re.search(r"\[SSL: [A-Z_]+\] ([^(')\]]+)", reason)
    if m:
        return m.group(1).strip()
    return " ".join(reason.split())[:200]


def _short(exc: object) -> str:
    text = str(exc)
    # urllib3 wraps the useful part: "...: Failed to establish a new connection: [Errno 111]..."
    for marker in ("Failed to establish a new connection: ", "SSLError(", "] "):
        if marker in text:
            text = text.split(marker, 1)[1]
            break
    return text.rstrip(")").strip()[:200]


class _Deadline(BaseException):
    """Raised by the alarm; a BaseException so that no library's `except Exception` can
    swallow it on the way up."""


@contextmanager
def deadline(seconds: float | None, what: str) -> Iterator[None]:
    """Bound a whole operation in time: connecting, the headers, the body, an exec credential
    plugin. urllib3's timeouts bound each socket read, so a server trickling one byte a
    second would otherwise never time out. Uses SIGALRM (the CLI's main thread); elsewhere,
    and with no timeout, nothing is bounded."""
    if not seconds or threading.current_thread() is not threading.main_thread():
        yield
        return

    def alarm(signum: int, frame: object) -> None:
        raise _Deadline()

    previous = signal.signal(signal.SIGALRM, alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    except _Deadline:
        raise ClusterError(f"timed out {what} after {seconds:g}s (--request-timeout)"
                           ) from None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def open_source(kubeconfig: str | None, context: str | None,
                request_timeout: float | None, lean: bool = True,
                factory: Callable[..., ClusterSource] | None = None) -> ClusterSource:
    """Load the kubeconfig (an exec credential plugin runs here, bounded by
    --request-timeout too). The client logs some failures through the root logger instead
    of raising them: they are caught and said in the one error line."""
    logged = _Captured()
    root = logging.getLogger()
    root.addHandler(logged)
    try:
        with _reaped_children(), \
                deadline(request_timeout, "loading the kubeconfig and its credentials"):
            source = (factory or ClusterSource)(kubeconfig, context, request_timeout, lean)
    except PodwhyError as exc:
        if logged.messages:
            exc.message += f" ({'; '.join(logged.messages)})"
        raise
    except Exception as exc:
        why = "; ".join(logged.messages) or f"{type(exc).__name__}: {exc}"
        raise ClusterError(f"cannot load kubeconfig: {why}") from None
    finally:
        root.removeHandler(logged)
    if logged.errors:
        # the client logs a failing exec plugin and goes on without credentials; kubectl
        # stops here ("getting credentials: exec: ..."), and so do we
        raise ClusterError(f"getting credentials: {'; '.join(logged.errors)}")
    return source


@contextmanager
def _reaped_children() -> Iterator[None]:
    """Every process the client starts meanwhile (an exec credential plugin, a gcp
    auth-provider's cmd-path) is killed on the way out if it still runs: one cut off by the
    deadline must not outlive podwhy. (The client calls subprocess.Popen; nothing else runs
    while the kubeconfig loads.)"""
    started: list[subprocess.Popen[Any]] = []
    real = subprocess.Popen

    class Tracked(real):  # type: ignore[misc,valid-type]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            started.append(self)

    subprocess.Popen = Tracked  # type: ignore[misc]
    try:
        yield
    finally:
        subprocess.Popen = real  # type: ignore[misc]
        for proc in started:
            if proc.poll() is None:
                for pid in _descendants(proc.pid):  # a shell script's own children too
                    with suppress(OSError):
                        os.kill(pid, signal.SIGKILL)
                proc.kill()
                proc.wait()


def _descendants(pid: int) -> list[int]:
    """The processes below ``pid``, read from /proc (Linux; none elsewhere)."""
    parent: dict[int, int] = {}
    with suppress(OSError):
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with suppress(OSError, ValueError, IndexError), \
                        open(f"/proc/{entry}/stat", "rb") as fh:
                    # pid (comm) state ppid ...: comm may hold spaces, so split after ")"
                    parent[int(entry)] = int(fh.read().rsplit(b")", 1)[1].split()[1])
    out: list[int] = []
    todo = [pid]
    while todo:
        p = todo.pop()
        kids = [c for c, pp in parent.items() if pp == p]
        out += kids
        todo += kids
    return out


class _Captured(logging.Handler):
    """Holds what the client logs (an exec plugin that is missing or failing) so that it
    reaches the user as part of the error line, not as a stray `ERROR:root:` line."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self.errors: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        text = " ".join(record.getMessage().split())[:300]
        self.messages.append(text)
        if record.levelno >= logging.ERROR:
            self.errors.append(text)
