"""What the tests that run ``main.py`` as it is, through the real entry point, share: a
finder that lets a test's script adjust ``app.ui.main`` as it is imported."""

from __future__ import annotations

#: Python source. ``Hook`` calls the script's ``loaded(module)`` once ``app.ui.main``
#: has run, before anything in it is called; the script inserts ``Hook()`` first in
#: ``sys.meta_path`` and needs ``importlib.abc``, ``importlib.util`` and ``sys``.
HOOK = r"""
class Hook(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path, target=None):
        if name != "app.ui.main":
            return None
        sys.meta_path.remove(self)
        spec = importlib.util.find_spec(name)
        loader = spec.loader

        class Patched(importlib.abc.Loader):
            def create_module(self, spec):
                return loader.create_module(spec)

            def exec_module(self, module):
                loader.exec_module(module)
                loaded(module)

        spec.loader = Patched()
        return spec
"""
