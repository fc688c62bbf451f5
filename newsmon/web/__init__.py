"""The web view at ``/``: newsmon's own page, server-rendered, served by the API's app (so
``newsmon api`` and ``newsmon run`` show it in both modes), with no build step and no CDN."""

from newsmon.web.mount import install_web

__all__ = ["install_web"]
