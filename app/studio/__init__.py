"""The app without Qt: the workflow the window and the command line share.

- :mod:`~app.studio.endpoints`: where to connect (Cartesia or the offline engine), the key;
- :mod:`~app.studio.recorder`: settings → request → take, one running generation;
- :mod:`~app.studio.transport`: play, pause, seek, loop, A/B over the one current take;
- :mod:`~app.studio.library`: the voice library (pages, cache, favourites);
- :mod:`~app.studio.takes`: the history's operations;
- :mod:`~app.studio.studio`: all of them together, for the window.

Everything here is plain asyncio and numpy, evented through :mod:`app.events`;
blocking work (the keyring, the engine's start, files) runs in executors.
"""
