"""The voice library: the voices and their search text, the rows shown, and the picker.

Cartesia's library has thousands of voices, so filtering is built for that:
each voice has its search text made once (name, description, gender, accent,
language name and code, locales, id), and a keystroke walks a list of
precomputed strings into a list of row numbers, then resets the table once;
no per-row Python callback from Qt, no re-sort (the order is kept sorted and
only changes when the sort or the groups do). A backspace finds its text's rows
among the searches kept. Voices that arrive while rows are shown (a page of a
load, a batch of the cached library, which is shown 100 voices per turn of the
event loop) are inserted rows at their sorted places, found by a binary search
each: no reset, nothing walks the rows, and Qt keeps the chosen row, the scroll
and the headings. Search words match the starts of words, in any order ("brit
fem" finds a British feminine voice, and "male" does not find "female").

Rows are grouped: voices pasted by id, favourites, recent voices, then the
rest, each group under a heading when there is more than one group to show.
The Source column appears only when the list mixes sources.
"""

from __future__ import annotations

import bisect
import operator
import re
from collections.abc import Callable, Iterable, Sequence
from functools import cache
from typing import Any, Final

from PySide6.QtCore import (
    QAbstractTableModel,
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette, QStaticText
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.cartesia.models import catalog
from app.cartesia.voices_types import Voice
from app.studio.library import (
    FavouritesChanged,
    LibraryEvent,
    LoadFailed,
    LoadingChanged,
    LookupFailed,
    ReachChanged,
    RecentChanged,
    VoiceLibrary,
    VoicePasted,
    VoicesAdded,
    VoicesReset,
    is_voice_id,
)
from app.ui import theme
from app.ui.icons import icon
from app.ui.library_cards import KeyCard, LoadCard
from app.ui.metrics import GAP, spaced
from app.ui.notice import NoticeLabel

Index = QModelIndex | QPersistentModelIndex
COLUMNS: Final = ("★", "Name", "Language", "Gender", "Source")
STAR, NAME, LANGUAGE, GENDER, SOURCE = range(5)
#: The least width Name keeps before Gender, then Language, are hidden to make room.
NAME_ROOM: Final = 150
#: How many voices new to the picker are made searchable per turn of the event loop
#: (~4 ms of work for 100 voices on a quiet machine, then their rows' insertion and the
#: repaint: a step of ~20 ms; 250 a step made ~35 ms, stretched past 50 ms under load).
BATCH: Final = 100
#: The pause between two batches, counted from the turn of the event loop after the
#: last one's repaint (see VoicePicker._after_batch).
BATCH_PAUSE_MS: Final = 2
#: Group headings, in the order the groups are shown; the last holds every other voice.
GROUPS: Final = ("Pasted", "Favourites", "Recent", "All voices")
PASTED, FAVOURITE, RECENT, REST = range(4)
_WORD_BREAKS: Final = re.compile(r"[\W_]+")
#: How many search texts' results are kept (a few MB at most at 5,000 voices).
_SEARCHES_KEPT: Final = 64
#: Roles as plain ints: comparing with the enum members costs more, for every cell.
_DISPLAY: Final = int(Qt.ItemDataRole.DisplayRole.value)
_USER: Final = int(Qt.ItemDataRole.UserRole.value)
_TOOLTIP: Final = int(Qt.ItemDataRole.ToolTipRole.value)
_ALIGN: Final = int(Qt.ItemDataRole.TextAlignmentRole.value)
_FONT: Final = int(Qt.ItemDataRole.FontRole.value)
_FOREGROUND: Final = int(Qt.ItemDataRole.ForegroundRole.value)
_BACKGROUND: Final = int(Qt.ItemDataRole.BackgroundRole.value)
_HEADING_ROLES: Final = frozenset({_FONT, _FOREGROUND, _BACKGROUND})
_CENTER: Final = int(Qt.AlignmentFlag.AlignCenter.value)
_LEFT: Final = int((Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter).value)
_SELECTED: Final = QStyle.StateFlag.State_Selected
_TEXT: Final = QPalette.ColorRole.Text
_HIGHLIGHTED_TEXT: Final = QPalette.ColorRole.HighlightedText
_VOICE_FLAGS: Final = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_HEADING_FLAGS: Final = Qt.ItemFlag.NoItemFlags


def language_label(code: str) -> str:
    """``English (en)``: the name people look for, and the code the API uses."""
    if not code:
        return "—"
    name = catalog().language_name(code)
    return f"{name} ({code})" if name != code else code


def gender_label(value: str | None) -> str:
    return {"masculine": "Masculine", "feminine": "Feminine",
            "gender_neutral": "Neutral"}.get(value or "", value or "—")


def source_label(voice: Voice) -> str:
    return "Offline" if voice.offline else "Cartesia"


#: Words a search may use for each gender value ("male" must not find "female").
_GENDER_WORDS: Final = {"masculine": "masculine male man", "feminine": "feminine female woman",
                        "gender_neutral": "neutral gender neutral"}


def search_text(voice: Voice, languages: frozenset[str] | None = None) -> str:
    """Every searchable word of a voice, lower case, each after a space."""
    free = " ".join((voice.name, voice.description, voice.tagline, voice.accent or "",
                     voice.country or "", *(loc.locale for loc in voice.locales), voice.id))
    return (" " + _WORD_BREAKS.sub(" ", free.lower()).strip() + " "
            + _GENDER_WORDS.get(voice.gender or "", (voice.gender or "").lower()) + " "
            + _language_words(voice.languages if languages is None else languages) + " "
            + source_label(voice).lower() + " ")


@cache
def _language_words(codes: frozenset[str]) -> str:
    return " ".join(f"{catalog().language_name(code).lower()} {code.lower()}"
                    for code in sorted(codes))


def search_words(text: str) -> tuple[str, ...]:
    """What a query looks for: the start of a word, per word typed."""
    return tuple(" " + word for word in _WORD_BREAKS.sub(" ", text.lower()).split())


class VoiceTableModel(QObject):
    """Every voice, with what filtering needs precomputed, and the groups."""

    favouriteToggled = Signal(str)  # a voice id; the library decides and tells back
    changed = Signal()  # voices or groups changed: the rows must be made again

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.voices: list[Voice] = []
        self.search: list[str] = []
        self.languages: list[frozenset[str]] = []
        #: What each column shows, made once per voice (painting asks for it often).
        self.labels: list[tuple[str, str, str, str, str]] = []
        #: Each voice's name and language label, casefolded once for the sort.
        self.names: list[str] = []
        self.language_keys: list[str] = []
        #: The language codes and the sources of all voices, kept as voices come in:
        #: a page of 100 no longer walks all 5,000 voices to find them.
        self.language_codes: set[str] = set()
        self.source_names: set[str] = set()
        self.favourites: set[str] = set()
        self.recent: tuple[str, ...] = ()
        #: Recent voices not grouped yet (:meth:`hold_recent`).
        self.recent_held: tuple[str, ...] | None = None
        self.pasted: tuple[str, ...] = ()
        #: Changes with every change but voices added at the end: the rows' sort and
        #: groups made for the same revision only need the new voices merged in.
        self.revision = 0
        self._index: dict[str, int] = {}

    def set_voices(self, voices: Sequence[Voice], budget: int | None = None) -> list[Voice]:
        """The list replaced by ``voices``; with a ``budget``, at most that many voices
        new to the model are made searchable now, and the voices from the first one
        over it on are returned (for :meth:`add_voices`, a batch at a time)."""
        count = len(self.voices)
        if len(voices) >= count and all(map(operator.is_, self.voices, voices[:count])):
            # What a load ends with: the voices its pages brought, in their order (and
            # maybe pasted ones after them): nothing to make again, at most an append.
            tail = list(voices[count:])
            cut = len(tail) if budget is None else budget
            if self._append(tail[:cut]):
                self.changed.emit()
            return tail[cut:]
        # Otherwise the list is mostly voices known already: what was made for them is
        # kept, not made again.
        known = {v.id: (v, i) for i, v in enumerate(self.voices)}
        old = (self.search, self.languages, self.labels, self.names, self.language_keys)
        self.voices, self.search, self.languages, self.labels = [], [], [], []
        self.names, self.language_keys = [], []
        self.language_codes, self.source_names = set(), set()
        self._index = {}
        self.revision += 1
        rest: list[Voice] = []
        made = 0
        for n, voice in enumerate(voices):
            if voice.id in self._index:
                continue
            before = known.get(voice.id)
            if before is not None and (before[0] is voice or before[0] == voice):
                i = before[1]
                self._index[voice.id] = len(self.voices)
                self.voices.append(voice)
                self.search.append(old[0][i])
                self.languages.append(old[1][i])
                self.labels.append(old[2][i])
                self.names.append(old[3][i])
                self.language_keys.append(old[4][i])
                self._note(voice, old[2][i])
            elif budget is not None and made >= budget:
                rest = list(voices[n:])
                break
            else:
                self._append([voice])
                made += 1
        self.changed.emit()
        return rest

    def add_voices(self, voices: Sequence[Voice]) -> None:
        if self._append(voices):
            self.changed.emit()

    def _append(self, voices: Sequence[Voice]) -> bool:
        added = False
        for voice in voices:
            if voice.id in self._index:
                continue
            self._index[voice.id] = len(self.voices)
            self.voices.append(voice)
            languages = voice.languages
            self.search.append(search_text(voice, languages))
            self.languages.append(languages)
            labels = ("", voice.name, language_label(voice.language),
                      gender_label(voice.gender), source_label(voice))
            self.labels.append(labels)
            self.names.append(voice.name.casefold())
            self.language_keys.append(labels[LANGUAGE].casefold())
            self._note(voice, labels)
            added = True
        return added

    def _note(self, voice: Voice, labels: tuple[str, str, str, str, str]) -> None:
        if voice.language:
            self.language_codes.add(voice.language)
        self.source_names.add(labels[SOURCE])

    def set_favourites(self, ids: Iterable[str]) -> None:
        self.favourites = set(ids)
        self.revision += 1
        self.changed.emit()

    def set_groups(self, *, recent: Sequence[str] | None = None,
                   pasted: Sequence[str] | None = None) -> None:
        if recent is not None:
            self.recent, self.recent_held = tuple(recent), None
        if pasted is not None:
            self.pasted = tuple(pasted)
        self.revision += 1
        self.changed.emit()

    def hold_recent(self, ids: Sequence[str]) -> None:
        """The recent voices changed (a take was played): they are regrouped the next
        time the rows are made anyway (a search, a filter, a sort, a reload), not now.
        Moving the voice just played to the top would move the list under a designer
        going down it, voice after voice, and cost the press of Play a reset of the
        rows and a repaint of the list."""
        self.recent_held = tuple(ids)

    def take_held(self) -> bool:
        """Whether held recent voices were taken into the groups now."""
        held, self.recent_held = self.recent_held, None
        if held is None or held == self.recent:
            return False
        self.recent = held
        self.revision += 1
        return True

    def group_of(self, index: int) -> int:
        voice_id = self.voices[index].id
        if voice_id in self.pasted:
            return PASTED
        if voice_id in self.favourites:
            return FAVOURITE
        return RECENT if voice_id in self.recent else REST

    def toggle_favourite(self, index: int) -> None:
        self.favouriteToggled.emit(self.voices[index].id)

    def row_of(self, voice_id: str) -> int | None:
        """The voice's place in :attr:`voices` (not a row of the table)."""
        return self._index.get(voice_id)

    def sources(self) -> set[str]:
        return self.source_names


class VoiceRows(QAbstractTableModel):
    """The rows the table shows: the voices the filters let through, grouped and sorted.

    A row is a voice's place in the :class:`VoiceTableModel`, or a group heading
    (``-1 - group``).
    """

    def __init__(self, voices: VoiceTableModel, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.source = voices
        self.text = ""
        self.language = ""
        self.gender = ""
        self.owner = ""  # "", "mine", "public"
        self.source_filter = ""  # "", "cartesia", "offline"
        self.favourites_only = False
        self.rows: list[int] = []
        self.sort_column = NAME
        self.sort_order = Qt.SortOrder.AscendingOrder
        self._sorted: list[int] = []
        #: The model's revision, the column and the order ``_sorted`` was made for.
        self._sorted_for: tuple[int, int, Qt.SortOrder] | None = None
        self._row_of: dict[int, int] | None = None
        self.voices_shown = 0
        #: The groups shown and how many voices each shows, in order (headings when more
        #: than one): where a new voice's rows are, without walking the rows.
        self._group_sizes: list[list[int]] = []
        #: Each voice's group, or ``None`` when no voice is in a group of its own.
        self._ranks: list[int] | None = None
        #: Changes with the voices, their groups and the sort: the last filtering's
        #: result is then no base for the next.
        self._generation = 0
        #: What each search text let through, for the filters but the text in
        #: ``_memo_key``: typing narrows the longest earlier search it extends, and a
        #: backspace finds its text's result here instead of searching again.
        self._memo_key: tuple[Any, ...] | None = None
        self._memo: dict[str, list[int]] = {}
        self._heading = QFont()
        self._heading.setBold(True)
        voices.changed.connect(self._voices_changed)

    @property
    def heading_colours(self) -> tuple[QColor, QColor]:
        """Read when painted, so the group headings follow a switch of light and dark."""
        return (theme.current().ruler, QPalette().color(QPalette.ColorRole.AlternateBase))

    # --- the Qt model ---------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return COLUMNS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if index.isValid() and self.rows[index.row()] < 0:
            return _HEADING_FLAGS  # a heading: skipped by the keyboard too
        return _VOICE_FLAGS

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        # Called for every cell and role of every painted row: the common answers
        # come first and are precomputed.
        if role == _DISPLAY:
            item = self.rows[index.row()]
            column = index.column()
            if item < 0:
                return GROUPS[-1 - item] if column == STAR else None
            if column == STAR:
                return "★" if self.source.voices[item].id in self.source.favourites else "☆"
            return self.source.labels[item][column]
        if role == _USER:
            item = self.rows[index.row()]
            return self.source.voices[item] if item >= 0 else None
        if role == _TOOLTIP:
            item = self.rows[index.row()]
            return None if item < 0 else self._tooltip(self.source.voices[item], index.column())
        if role == _ALIGN:
            return _CENTER if index.column() == STAR else None
        if role in _HEADING_ROLES and self.rows[index.row()] < 0:
            if role == _FONT:
                return self._heading
            return self.heading_colours[role == _BACKGROUND]
        return None

    @staticmethod
    def _tooltip(voice: Voice, column: int) -> str:
        if column == STAR:
            return "Click to add to or remove from favourites"
        accent = f" · {voice.accent} accent" if voice.accent else ""
        return (f"{voice.name}\n{language_label(voice.language)} · "
                f"{gender_label(voice.gender)}{accent}\n{voice.description}")

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        self.sort_column, self.sort_order = column, order
        self._sort()
        self.refilter()

    # --- filtering --------------------------------------------------------------------

    def set(self, **values: Any) -> None:
        for name, value in values.items():
            setattr(self, "source_filter" if name == "source" else name, value)
        self.refilter()

    def _voices_changed(self) -> None:
        model = self.source
        model.take_held()  # the rows change anyway
        count = len(model.voices)
        # Only voices added at the end since the last sort (a page of a load, a batch):
        # the sort and the groups take them in instead of being made again.
        appended = self._sorted_for is not None and self._sorted_for[0] == model.revision
        if appended and self._ranks is not None:
            self._ranks.extend(model.group_of(i) for i in range(len(self._ranks), count))
        else:
            self._rank()
        if appended and self._insert(range(len(self._sorted), count)):
            return
        self._sort(appended=appended)
        self.refilter()

    def _rank(self) -> None:
        """Each voice's group again (``None`` when no voice is in a group of its own)."""
        model = self.source
        special = bool(model.pasted or model.favourites or model.recent)
        self._ranks = [model.group_of(i) for i in range(len(model.voices))] if special \
            else None

    def _key(self) -> Callable[[int], Any]:
        """The sort key of a voice (its place in the model) for the column sorted by."""
        # Keys made once per voice (VoiceTableModel): a page of 100 re-sorts 5,000
        # voices, which cost ~30 ms when each key casefolded and labelled again.
        model = self.source
        voices, names, labels = model.voices, model.names, model.labels
        language_keys, favourites = model.language_keys, model.favourites
        keys: list[Callable[[int], Any]] = [
            lambda i: voices[i].id in favourites,
            names.__getitem__,
            lambda i: (language_keys[i], names[i]),
            lambda i: (labels[i][GENDER], names[i]),
            lambda i: (labels[i][SOURCE], names[i]),
        ]
        return keys[self.sort_column]

    def _sort(self, *, appended: bool = False) -> None:
        model = self.source
        made_for = (model.revision, self.sort_column, self.sort_order)
        order: Iterable[int] = range(len(model.voices))
        if appended and self._sorted_for == made_for:
            # The sorted run and the new voices after it, in the order of the model:
            # the same result as sorting all (the sort is stable, the new ones come
            # last), in about one comparison per voice.
            order = self._sorted + list(range(len(self._sorted), len(model.voices)))
        self._sorted = sorted(order, key=self._key(),
                              reverse=self.sort_order == Qt.SortOrder.DescendingOrder)
        self._sorted_for = made_for
        self._generation += 1

    def _insert(self, new: range) -> bool:
        """Voices added at the end of the model (a page of a load, a batch of the cached
        list) put into the rows shown at their sorted places, as inserted rows: no
        reset, so Qt keeps the current row, the scroll position and the headings' spans
        itself, and nothing here walks the rows, only the new voices (a binary search
        each). ``False`` when the rows must be made again instead: the filters changed
        since, or a group would appear (its heading, maybe every heading, is new)."""
        words = search_words(self.text)
        text = " ".join(words)
        before = len(self._sorted)
        filters = (self.language, self.gender, self.owner, self.source_filter,
                   self.favourites_only)
        if self._memo_key != (*filters, before, self._generation):
            return False
        base, found = self._memo.get(""), self._memo.get(text)
        if base is None or found is None:
            return False
        search = self.source.search
        shown = [i for i in new
                 if self._passes(i) and all(word in search[i] for word in words)]
        ranks = self._ranks
        have = {group for group, _ in self._group_sizes}
        coming = {0 if ranks is None else ranks[i] for i in shown}
        if coming - have and (have or len(coming) > 1):
            return False  # a group new to the rows: its heading, and maybe all, are new
        key = self._key()
        descending = self.sort_order == Qt.SortOrder.DescendingOrder
        # New voices go after the voices they tie with: they come later in the model,
        # and the sort is stable (with ``reverse`` too).
        for i in new:
            _insort(self._sorted, i, key, descending)
        for i in new:
            if self._passes(i):
                _insort(base, i, key, descending)
        if found is not base:
            for i in shown:
                _insort(found, i, key, descending)
        self._memo = {"": base, text: found}
        self._memo_key = (*filters, len(self._sorted), self._generation)
        if shown:
            self._insert_rows(shown, key, descending)
        return True

    def _passes(self, i: int) -> bool:
        """Whether the filters other than the search text let the voice through."""
        model = self.source
        voice = model.voices[i]
        return ((not self.language or self.language in model.languages[i])
                and (not self.gender or voice.gender == self.gender)
                and (not self.owner or voice.is_owner == (self.owner == "mine"))
                and (not self.source_filter
                     or voice.offline == (self.source_filter == "offline"))
                and (not self.favourites_only or voice.id in model.favourites))

    def _insert_rows(self, shown: list[int], key: Callable[[int], Any],
                     descending: bool) -> None:
        """``shown`` into :attr:`rows`, one ``beginInsertRows`` per run of adjacent rows."""
        ranks = self._ranks
        sizes = self._group_sizes
        if not sizes:
            sizes.append([0 if ranks is None else ranks[shown[0]], 0])
        headed = len(sizes) > 1
        starts: dict[int, tuple[int, int]] = {}
        row = 0
        for group, size in sizes:
            row += headed  # the heading
            starts[group] = (row, row + size)
            row += size
        # Each new voice's row among the old rows, found before any row moves; new
        # voices at the same place keep their sorted order (stable sorts).
        ordered = sorted(shown, key=key, reverse=descending)
        places = []
        for i in ordered:
            lo, hi = starts[0 if ranks is None else ranks[i]]
            places.append(_place(self.rows, lo, hi, key(i), key, descending))
        ordered = [i for _, i in sorted(zip(places, ordered, strict=True),
                                        key=operator.itemgetter(0))]
        places.sort()
        added = 0
        run = 0
        while run < len(ordered):
            end = run + 1
            while end < len(ordered) and places[end] == places[run]:
                end += 1
            first = places[run] + added
            self.beginInsertRows(QModelIndex(), first, first + end - run - 1)
            self.rows[first:first] = ordered[run:end]
            self._row_of = None
            added += end - run
            self.voices_shown += end - run
            self.endInsertRows()
            run = end
        for entry in sizes:
            entry[1] += sum(1 for i in shown if (0 if ranks is None else ranks[i]) == entry[0])

    def refilter(self) -> None:
        """Make the rows again: a few passes over lists, one reset of the table.

        Typing narrows: when the new search text extends an earlier one (and nothing
        else changed), only the voices that one let through are searched; a
        backspace goes back to a text already searched.
        """
        model = self.source
        if model.take_held():  # the rows are made again: the recent voices regroup now
            self._rank()
            self._sort()
        voices = model.voices
        words = search_words(self.text)
        text = " ".join(words)
        others = (self.language, self.gender, self.owner, self.source_filter,
                  self.favourites_only, len(voices), self._generation)
        if self._memo_key != others:
            self._memo_key = others
            self._memo = {"": self._filtered()}
        memo = self._memo
        found = memo.get(text)
        if found is None:
            # The longest earlier search this one extends (the unsearched list at
            # least): what it let through is all this one can.
            found = memo[max((t for t in memo if text.startswith(t)), key=len)]
            search = model.search
            for word in words:
                found = [i for i in found if word in search[i]]
            if len(memo) >= _SEARCHES_KEPT:
                self._memo = memo = {"": memo[""]}
            memo[text] = found
        # A copy: rows shown grow in place as voices arrive (_insert), the lists kept
        # for searching on their own.
        rows: list[int] = list(found)
        ranks = self._ranks
        sizes = [[0, len(found)]] if found else []
        if ranks is not None:
            groups = [[i for i in found if ranks[i] == g] for g in range(len(GROUPS))]
            shown = [g for g, members in enumerate(groups) if members]
            sizes = [[g, len(groups[g])] for g in shown]
            if len(shown) > 1:
                rows = []
                for group in shown:
                    rows.append(-1 - group)
                    rows.extend(groups[group])
        self.beginResetModel()
        self.rows = rows
        self._group_sizes = sizes
        self.voices_shown = len(found)
        self._row_of = None
        self.endResetModel()

    def _filtered(self) -> list[int]:
        """The sorted voices the filters other than the search text let through."""
        model = self.source
        voices = model.voices
        found = list(self._sorted)  # its own list: new voices are put into it (_insert)
        language, gender, owner = self.language, self.gender, self.owner
        if language:
            languages = model.languages
            found = [i for i in found if language in languages[i]]
        if gender:
            found = [i for i in found if voices[i].gender == gender]
        if owner:
            mine = owner == "mine"
            found = [i for i in found if voices[i].is_owner == mine]
        if self.source_filter:
            offline = self.source_filter == "offline"
            found = [i for i in found if voices[i].offline == offline]
        if self.favourites_only:
            favourites = model.favourites
            found = [i for i in found if voices[i].id in favourites]
        return found

    def headings(self) -> list[int]:
        return [row for row, item in enumerate(self.rows) if item < 0]

    def voice_count(self) -> int:
        return self.voices_shown

    def row_for(self, index: int) -> int | None:
        """The table row of the voice at ``index`` in the model, if it is shown."""
        if self._row_of is None:
            self._row_of = {item: row for row, item in enumerate(self.rows)}
        return self._row_of.get(index)

    def voice_at(self, row: int) -> Voice | None:
        item = self.rows[row] if 0 <= row < len(self.rows) else -1
        return self.source.voices[item] if item >= 0 else None


def _place(rows: list[int], lo: int, hi: int, wanted: Any, key: Callable[[int], Any],
           descending: bool) -> int:
    """Where in ``rows[lo:hi]`` (sorted by ``key``) a new voice with key ``wanted`` goes:
    after every voice it ties with."""
    if not descending:
        return bisect.bisect_right(rows, wanted, lo, hi, key=key)
    # Keys falling: bisect has no order to give, and keys (strings, tuples) no negative.
    while lo < hi:
        mid = (lo + hi) // 2
        if key(rows[mid]) >= wanted:
            lo = mid + 1
        else:
            hi = mid
    return lo


def _insort(order: list[int], item: int, key: Callable[[int], Any], descending: bool) -> None:
    order.insert(_place(order, 0, len(order), key(item), key, descending), item)


class RowPainter(QStyledItemDelegate):
    """Paints a cell straight from the precomputed labels.

    The standard delegate asks the model for ten roles per cell (each a call into
    Python) and lays the text out with QTextLayout; for the thirty rows a keystroke
    repaints that was most of the frame. Text is elided in the middle, where a long
    name's end ("… (Studio Edition)") stays readable; the tooltip has it whole.
    """

    def __init__(self, rows: VoiceRows, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.rows = rows
        self._bold = QFont()
        self._bold.setBold(True)
        self._texts: dict[tuple[str, int], tuple[QStaticText, int]] = {}

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        item = self.rows.rows[index.row()]
        column = index.column()
        rect = option.rect
        palette = option.palette
        selected = bool(option.state & _SELECTED)
        if item < 0:
            painter.fillRect(rect, self.rows.heading_colours[1])
            if column != STAR:
                return
            painter.save()
            painter.setFont(self._bold)
            painter.setPen(self.rows.heading_colours[0])
            painter.drawText(rect.adjusted(6, 0, -6, 0), _LEFT, GROUPS[-1 - item])
            painter.restore()
            return
        if selected:
            painter.fillRect(rect, palette.highlight())
        model = self.rows.source
        if column == STAR:
            text = "★" if model.voices[item].id in model.favourites else "☆"
        else:
            text = model.labels[item][column]
        painter.setPen(palette.color(_HIGHLIGHTED_TEXT if selected else _TEXT))
        width = rect.width() - 12
        laid, advance = self._laid_out(text, width, option.fontMetrics)
        x = rect.x() + (6 if column != STAR else (rect.width() - advance) // 2)
        y = rect.y() + (rect.height() - option.fontMetrics.height()) // 2
        painter.drawStaticText(x, y, laid)

    def _laid_out(self, text: str, width: int, metrics: QFontMetrics) -> tuple[QStaticText, int]:
        """The text as drawn in ``width`` (elided in the middle if it must be), laid out
        once: the same labels ("English (en)", names) are painted again at each keystroke."""
        key = (text, width)
        found = self._texts.get(key)
        if found is None:
            if metrics.horizontalAdvance(text) > width:
                text = metrics.elidedText(text, Qt.TextElideMode.ElideMiddle, width)
            laid = QStaticText(text)
            laid.setTextFormat(Qt.TextFormat.PlainText)
            found = (laid, metrics.horizontalAdvance(text))
            if len(self._texts) > 4000:
                self._texts.clear()
            self._texts[key] = found
        return found


class VoicePicker(QWidget):
    voiceSelected = Signal(object)      # Voice
    previewRequested = Signal(object)   # Voice
    refreshRequested = Signal()
    idPasted = Signal(str)              # a voice id the list does not have: look it up
    addKeyRequested = Signal()          # the first run's card: open Settings at the key

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = VoiceTableModel(self)
        #: The rows shown (named ``proxy`` as the Qt model the table shows).
        self.proxy = VoiceRows(self.model, self)
        self._filtering = False
        self._chosen: Voice | None = None
        self._wanted_id: str | None = None
        #: Voices given to the picker and not yet shown (see set_voices), and the first
        #: choice of a voice while it waits for them (True once made).
        self._queued: list[Voice] = []
        self._choose: Callable[[], bool] | None = None
        #: The codes the language filter lists (not read back from the box per page).
        self._listed_languages: set[str] = {""}
        self._batches = QTimer(self)
        self._batches.setSingleShot(True)
        self._batches.setInterval(BATCH_PAUSE_MS)
        self._batches.setTimerType(Qt.TimerType.PreciseTimer)
        self._batches.timeout.connect(self._next_batch)
        # The next batch's pause starts on the turn after a batch's repaint: started at
        # the end of the batch, its timer fell due during the repaint and went in the
        # same turn as qasync's timers, ahead of the callbacks they queue (a task woken
        # by a timer takes two turns): two batches, and their repaints, made one stall.
        self._after_batch = QTimer(self)
        self._after_batch.setSingleShot(True)
        self._after_batch.setInterval(0)
        self._after_batch.timeout.connect(self._batches.start)
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name, description, language, accent… "
                                       "or paste a voice id (Ctrl+K)")
        self.search.setClearButtonEnabled(True)
        self.lookup_message = NoticeLabel()
        self.language = QComboBox()
        self.gender = QComboBox()
        self.owner = QComboBox()
        self.source = QComboBox()
        # Shown once voices come from two sources: at start it made the window wider than
        # 1024 px until the first voices arrived.
        self.source.hide()
        self.favourites_only = QCheckBox("★ only")
        for box, items in ((self.gender, [("Any gender", ""), ("Feminine", "feminine"),
                                          ("Masculine", "masculine"),
                                          ("Neutral", "gender_neutral")]),
                           (self.owner, [("Mine and public", ""), ("Mine", "mine"),
                                         ("Public", "public")]),
                           (self.source, [("All sources", ""), ("Cartesia", "cartesia"),
                                          ("Offline", "offline")])):
            for text, value in items:
                box.addItem(text, value)
        self.language.addItem("Any language", "")
        self.table = QTableView()
        self.table.setTabKeyNavigation(False)  # arrows move in the list; Tab moves on
        self.table.setModel(self.proxy)
        self.table.setItemDelegate(RowPainter(self.proxy, self.table))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(NAME, Qt.SortOrder.AscendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.table.setShowGrid(False)
        rows = self.table.verticalHeader()
        rows.hide()
        # One height for every row: nothing is measured per row, whatever the count.
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setMinimumSectionSize(24)
        header.setSectionResizeMode(NAME, QHeaderView.ResizeMode.Stretch)
        for column in (STAR, LANGUAGE, GENDER, SOURCE):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
        self._fit_columns()
        self.table.setMinimumWidth(240)  # names elide: the window fits 1024 px
        # A narrow list gives up columns, not names (the viewport: it has its new width).
        self.table.viewport().installEventFilter(self)
        #: The first run's invitation (no key), and a failed load's reason with Retry.
        self.key_card = KeyCard()
        self.key_card.hide()
        self.key_card.addKeyRequested.connect(self.addKeyRequested)
        self.load_card = LoadCard()
        self.load_card.retryRequested.connect(self.refreshRequested)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)  # a busy bar draws no text: the label says it
        self.progress.setRange(0, 0)
        self.progress.setMaximumHeight(self.fontMetrics().height() // 2)
        self.loading = QLabel()
        self.loading_row = QWidget()
        loading = QHBoxLayout(self.loading_row)
        loading.setContentsMargins(0, 0, 0, 0)
        loading.setSpacing(GAP)
        loading.addWidget(self.loading)
        loading.addWidget(self.progress, 1)
        self.loading_row.hide()
        self.status = QLabel()
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.preview_button = QPushButton(icon("preview"), "Preview")
        self.preview_button.setEnabled(False)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Load the voice library again")

        filters = QHBoxLayout()
        for widget in (self.language, self.gender):
            filters.addWidget(widget)
        filters2 = QHBoxLayout()
        filters2.addWidget(self.owner)
        filters2.addWidget(self.source)
        filters2.addWidget(self.favourites_only)
        bottom = QHBoxLayout()
        bottom.addWidget(self.preview_button)
        bottom.addStretch()
        bottom.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        spaced(layout, margin=GAP)  # a side panel: the splitter handle adds its own room
        layout.addWidget(self.key_card)
        layout.addWidget(self.load_card)
        layout.addWidget(self.search)
        layout.addWidget(self.lookup_message)
        layout.addLayout(filters)
        layout.addLayout(filters2)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.loading_row)
        layout.addWidget(self.status)
        layout.addWidget(self.details)
        layout.addLayout(bottom)

        self.search.textChanged.connect(self._search_changed)
        self._bind(self.language, "language")
        self._bind(self.gender, "gender")
        self._bind(self.owner, "owner")
        self._bind(self.source, "source")
        self.favourites_only.toggled.connect(lambda on: self.filter(favourites_only=on))
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.clicked.connect(self._clicked)
        self.preview_button.clicked.connect(self._preview)
        self.refresh_button.clicked.connect(self.refreshRequested)
        self.proxy.modelAboutToBeReset.connect(self._before_reset)
        self.proxy.modelReset.connect(self._after_reset)
        self.model.changed.connect(self._contents_changed)

    def _bind(self, box: QComboBox, name: str) -> None:
        box.currentIndexChanged.connect(lambda _i: self.filter(**{name: box.currentData()}))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.table.viewport() and event.type() == QEvent.Type.Resize:
            self._make_room_for_names()
        return super().eventFilter(watched, event)

    def _make_room_for_names(self) -> None:
        """In a narrow list (a 1024 px window) a name cut to two letters tells nothing:
        Gender goes first, then Source, then Language (all are filters and in the
        details below), so Name keeps at least NAME_ROOM; they come back when the list
        is wide again. Source is only ever shown when the voices come from two."""
        wanted = [LANGUAGE, GENDER] + ([SOURCE] if len(self.model.sources()) > 1 else [])
        room = self.table.viewport().width() - self.table.columnWidth(STAR)
        for column in (LANGUAGE, GENDER, SOURCE):
            self.table.setColumnHidden(column, column not in wanted)
        for column in (GENDER, SOURCE, LANGUAGE):
            if room - sum(self.table.columnWidth(c) for c in wanted) >= NAME_ROOM:
                break
            if column in wanted:
                wanted.remove(column)
                self.table.setColumnHidden(column, True)

    def _fit_columns(self) -> None:
        """Fixed columns as wide as their longest label, so Name gets the rest."""
        metrics = self.table.fontMetrics()
        pad = 12  # the cell's text margins, as for Name
        languages = ({language_label(c) for c in self.model.language_codes}
                     or {"English (en)"})
        widths = {STAR: 26,
                  LANGUAGE: max(metrics.horizontalAdvance(t) for t in
                                languages | {COLUMNS[LANGUAGE]}) + pad,
                  GENDER: metrics.horizontalAdvance("Masculine") + pad,
                  SOURCE: metrics.horizontalAdvance("Cartesia") + pad}
        for column, width in widths.items():
            if self.table.columnWidth(column) != width:
                self.table.setColumnWidth(column, width)
        self._make_room_for_names()

    def _search_changed(self, text: str) -> None:
        self.lookup_message.hide()
        stripped = text.strip()
        self.filter(text=stripped)
        if is_voice_id(stripped):
            found = self.model.row_of(stripped.lower())
            if found is not None:
                self.select(stripped.lower())
            else:
                self._wanted_id = stripped.lower()
                self._say(f"Looking up voice {stripped}…", error=False)
                self.idPasted.emit(stripped)

    def use_voice_id(self, text: str) -> None:
        """As if the id were pasted into the search box (the Voices menu's action)."""
        self.search.setText(text.strip())
        self.search.setFocus()

    def _say(self, message: str, *, error: bool) -> None:
        self.lookup_message.set_notice("error" if error else "info",
                                       message[:1].upper() + message[1:])  # a sentence here

    def filter(self, **values: Any) -> None:
        """Narrow the list; the chosen voice stays chosen even when it is filtered out.

        Without this, Qt moves the current row to a neighbour when the current one
        is filtered away: typing "espeak" in the search box chose Espeak Swedish
        (and Swedish as the language) for the user.
        """
        self.proxy.set(**values)

    def _before_reset(self) -> None:
        self._filtering = True

    def _after_reset(self) -> None:
        """After every new set of rows: headings, the chosen voice, the count."""
        try:
            self.table.clearSpans()
            for row in self.proxy.headings():
                self.table.setSpan(row, 0, 1, len(COLUMNS))
            chosen = self._chosen
            if chosen is not None:
                visible = self.select(chosen.id)
                self.details.setText(_details(chosen) + (
                    "" if visible else "<br><i>Hidden by the filter; still the chosen voice.</i>"))
                self.preview_button.setEnabled(visible)
        finally:
            self._filtering = False
        self._count()

    def _contents_changed(self) -> None:
        self._make_room_for_names()  # shows Source when there are two, if there is room
        self.source.setVisible(len(self.model.sources()) > 1 or bool(self.source.currentData()))
        self._count()  # once per page or batch, after all its rows are in

    # --- contents ------------------------------------------------------------------

    def set_voices(self, voices: list[Voice]) -> None:
        """Show ``voices`` instead of the list shown. A long list new to the picker (the
        cached library at start) is shown in batches, one per turn of the event loop:
        making 5,000 voices searchable at once stalled the window for 0.2-0.5 s."""
        self._queued = self.model.set_voices(voices, budget=BATCH)
        self._languages()
        self._batches.stop()
        self._after_batch.stop()
        if self._queued:
            self._after_batch.start()

    def add_voices(self, voices: list[Voice]) -> None:
        if self._queued:  # after the batches still to come, in the order they came
            self._queued.extend(voices)
            return
        self.model.add_voices(voices)
        self._languages()

    def _next_batch(self) -> None:
        batch, self._queued = self._queued[:BATCH], self._queued[BATCH:]
        self.model.add_voices(batch)
        self._languages()
        if self._queued:
            self._after_batch.start()
        self._choose_now()

    def showing(self) -> bool:
        """Whether voices given to the picker are still waiting for their batch."""
        return bool(self._queued)

    def _languages(self) -> None:
        have = self._listed_languages
        new = self.model.language_codes - have
        if not new:
            return
        self._listed_languages = have | new
        current = self.language.currentData()
        codes = sorted((have - {""}) | new, key=lambda c: language_label(c).casefold())
        self.language.blockSignals(True)
        try:
            self.language.clear()
            self.language.addItem("Any language", "")
            for code in codes:
                self.language.addItem(language_label(code), code)
            self.language.setCurrentIndex(max(0, self.language.findData(current)))
        finally:
            self.language.blockSignals(False)
        self._fit_columns()

    def _count(self, *_: object) -> None:
        self.status.setText(f"{self.proxy.voice_count():,} of {len(self.model.voices):,} "
                            "voices")

    def show_progress(self, loaded: int, busy: bool, online: int = 0, pages: int = 0) -> None:
        """A load under way: how many of the server's voices arrived so far (the listing
        gives no total, so a count and a busy bar, page by page)."""
        self.loading_row.setVisible(busy)
        if online:
            self.loading.setText(f"Loading voices… {online:,} so far "
                                 f"({pages} page{'s' if pages != 1 else ''})")
        else:
            self.loading.setText("Loading voices…")
        self.refresh_button.setEnabled(not busy)

    # --- selection --------------------------------------------------------------------

    def selected_voice(self) -> Voice | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.proxy.voice_at(index.row())

    def select(self, voice_id: str) -> bool:
        """Make the voice the current row; ``False`` when it is not shown."""
        found = self.model.row_of(voice_id)
        row = None if found is None else self.proxy.row_for(found)
        if row is None:
            if self._filtering:
                self.table.selectionModel().clear()
            return False
        index = self.proxy.index(row, NAME)
        self.table.setCurrentIndex(index)
        self.table.scrollTo(index)
        return True

    def select_first(self) -> None:
        for row in range(self.proxy.rowCount()):
            if self.proxy.voice_at(row) is not None:
                self.table.setCurrentIndex(self.proxy.index(row, NAME))
                return

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if self._filtering:
            return  # not the user's choice: the chosen voice is kept across filters
        voice = self.proxy.voice_at(current.row()) if current.isValid() else None
        if voice is not None:
            self._chosen = voice
            self.details.setText(_details(voice))
            self.preview_button.setEnabled(True)
            self.voiceSelected.emit(voice)
        else:
            self.details.setText("")
            self.preview_button.setEnabled(False)

    def _clicked(self, index: QModelIndex) -> None:
        item = self.proxy.rows[index.row()] if index.isValid() else -1
        if index.column() == STAR and item >= 0:
            self.model.toggle_favourite(item)

    def _preview(self) -> None:
        voice = self.selected_voice()
        if voice is not None:
            self.previewRequested.emit(voice)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def on_favourite_toggled(self, callback: Callable[[str], None]) -> None:
        self.model.favouriteToggled.connect(callback)

    def bind(self, library: VoiceLibrary) -> None:
        """Show the library as it loads; stars, Refresh and pasted ids go back to it."""
        self.model.favourites = set(library.favourites)
        self.model.set_groups(recent=library.recent,
                              pasted=tuple(v.id for v in library.pasted))
        self.on_favourite_toggled(library.toggle_favourite)
        self.refreshRequested.connect(library.refresh)
        self.idPasted.connect(library.paste)
        library.events.connect(lambda event: self._on_library(library, event))

    def _on_library(self, library: VoiceLibrary, event: LibraryEvent) -> None:
        if isinstance(event, VoicesReset):
            self.set_voices(list(event.voices))
        elif isinstance(event, VoicesAdded):
            self.add_voices(list(event.voices))
        elif isinstance(event, LoadingChanged):
            if event.busy and not event.loaded:
                self.load_card.hide()  # a new load: the last one's failure is old news
            self.show_progress(event.loaded, event.busy, event.online, event.pages)
        elif isinstance(event, ReachChanged):
            self.key_card.setVisible(event.reach == "no key")
        elif isinstance(event, LoadFailed):
            self.load_card.show_failure(event.message)
        elif isinstance(event, FavouritesChanged):
            self.model.set_favourites(event.ids)
        elif isinstance(event, RecentChanged):
            self.model.hold_recent(event.ids)
        elif isinstance(event, VoicePasted):
            self._pasted(event)
        elif isinstance(event, LookupFailed):
            self._say(event.message, error=True)
        if isinstance(event, VoicesReset | VoicesAdded):
            self._choose = lambda: self._first_choice(library)
            self._choose_now()

    def _choose_now(self) -> None:
        if self._choose is not None and self._choose():
            self._choose = None

    def _first_choice(self, library: VoiceLibrary) -> bool:
        """Nothing chosen yet: the last session's voice (or the default one) as soon as
        it is shown, else the first voice once all are; ``True`` once settled."""
        if self.selected_voice() is not None or self._chosen is not None:
            return True
        if any(self.select(i) for i in library.preferred_ids()):
            return True
        if self._queued:
            return False  # it may be in a batch still to come
        self.select_first()
        return True

    def _pasted(self, event: VoicePasted) -> None:
        self.model.add_voices([event.voice])
        self.model.set_groups(pasted=event.pasted)
        self._languages()
        self.lookup_message.hide()
        if self._wanted_id in (None, event.voice.id):
            self._wanted_id = None
            self.select(event.voice.id)


def _details(voice: Voice) -> str:
    locales = ", ".join(loc.locale for loc in voice.locales) or voice.language
    source = "Offline voice (built-in engine)" if voice.offline else (
        "Your voice" if voice.is_owner else "Cartesia voice library")
    description = voice.description.replace("<", "&lt;")
    name = voice.name.replace("<", "&lt;")
    accent = f" · {voice.accent} accent" if voice.accent else ""
    return (f"<b>{name}</b> — {source}<br>{description}<br>"
            f"<small>{language_label(voice.language)} ({locales}) · "
            f"{gender_label(voice.gender)}{accent} · <code>{voice.id}</code></small>")


__all__ = ["COLUMNS", "GROUPS", "VoicePicker", "VoiceRows", "VoiceTableModel"]
