"""Which backends the settings describe: the cluster's or the embedded ones (see
:func:`newsmon.backends.mode_for`). The one module that knows both implementations."""

from contract import ConfigError
from newsmon.backends import Backends, mode_for
from newsmon.cluster.backends import ClusterBackends
from newsmon.embedded.backends import EmbeddedBackends
from newsmon.settings import Settings


def backends_for(settings: Settings, embedded: bool = False) -> Backends:
    """The backends the settings describe (see :func:`newsmon.backends.mode_for`).

    Raises:
        ConfigError: ``--embedded`` together with ``NEWSMON_MODE=cluster``.
    """
    if embedded and settings.mode == "cluster":
        raise ConfigError("--embedded contradicts NEWSMON_MODE=cluster")
    if mode_for(settings, embedded) == "cluster":
        return ClusterBackends(settings)
    return EmbeddedBackends(settings)
