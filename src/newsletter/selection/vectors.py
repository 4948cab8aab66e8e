"""Texts as TF-IDF rows, for the learned models: words and word pairs, without scikit-learn.

Words are a text's words as the phrase tables read them (`topics.Tokens`: lowercased,
punctuation blanked), of two characters or more; the stop words are dropped before pairs
are made ("language of models" gives the pair "language models"). A row counts each known
term sublinearly (1 + ln count), weighs it by its idf (smooth: ln((1 + n) / (1 + df)) + 1,
over the n training documents) and has unit length, as scikit-learn's TfidfVectorizer
(ngram_range=(1, 2), sublinear_tf=True) does. It is written out here so that a build never
imports scikit-learn (a second of start-up, in every worker process), a build's workers
read each text once for the phrase tables and the model alike, and a stored model is
nothing but its vocabulary, idf and stop words.
"""

from __future__ import annotations

import math
import string
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from newsletter.selection.topics import Text, tokens

# English function words: too common to tell sections or picks apart.
STOP_WORDS = frozenset(
    """
a about above across after afterwards again against all almost alone along already also
although always am among amongst an and another any anyhow anyone anything anyway anywhere
are around as at be became because become becomes becoming been before beforehand behind
being below beside besides between beyond both but by can cannot could did do does doing
done down due during each either else elsewhere enough etc even ever every everyone
everything everywhere except few for former formerly from further had has have having he
hence her here hereafter hereby herein hers herself him himself his how however i ie if in
indeed into is it its itself just latter latterly least less many may me meanwhile might
mine more moreover most mostly much must my myself namely neither never nevertheless next
no nobody none noone nor not nothing now nowhere of off often on once one only onto or
other others otherwise our ours ourselves out over own per perhaps please rather re same
several she should since so some somehow someone something sometime sometimes somewhere
still such than that the their theirs them themselves then thence there thereafter thereby
therefore therein thereupon these they this those though through throughout thru thus to
together too toward towards under until up upon us very via was we well were what whatever
when whence whenever where whereafter whereas whereby wherein whereupon wherever whether
which while whither who whoever whole whom whose why will with within without would yet
you your yours yourself yourselves
""".split()
)


# Words dropped before pairs are made: the stop words and single letters and digits.
_SINGLE = frozenset(string.ascii_lowercase + string.digits)


def words(text: Text, stop_words: frozenset[str] = STOP_WORDS) -> list[str]:
    """The words of a text that count, in order."""
    return [w for w in tokens(text).sequence if w not in stop_words and w not in _SINGLE]


def terms(doc: str, stop_words: frozenset[str] = STOP_WORDS) -> list[str]:
    """The words of a text, then its pairs of adjacent words (stop words left out first)."""
    found = words(doc, stop_words)
    return found + [f"{a} {b}" for a, b in zip(found, found[1:], strict=False)]


def fit(docs: Sequence[str], stop_words: frozenset[str] = STOP_WORDS) -> Vectoriser:
    """The vocabulary of the documents (every term in them), sorted, with its smooth idf."""
    df = Counter(term for doc in docs for term in set(terms(doc, stop_words)))
    vocabulary = sorted(df)
    n = len(docs)
    idf = [round(math.log((1 + n) / (1 + df[t])) + 1, 6) for t in vocabulary]
    return Vectoriser(vocabulary, idf, stop_words)


_DROPPED = -2  # a stop word or a single character: not there at all
_UNKNOWN = -1  # a word the vocabulary lacks: no pair with it is known either


class Vectoriser:
    """Documents → TF-IDF rows (a scipy CSR matrix, one row of unit length a document)."""

    __slots__ = ("_codes", "_pair_columns", "_pair_keys", "idf", "stop_words", "vocabulary")

    def __init__(
        self,
        vocabulary: Sequence[str],
        idf: Sequence[float],
        stop_words: Iterable[str] = STOP_WORDS,
    ) -> None:
        import numpy as np

        self.vocabulary = tuple(vocabulary)
        self.idf = tuple(idf)
        self.stop_words = frozenset(stop_words)
        column = {t: n for n, t in enumerate(self.vocabulary) if " " not in t}
        self._codes = {**dict.fromkeys(self.stop_words | _SINGLE, _DROPPED), **column}
        # A known pair's words are known words (the vocabulary holds every term of its
        # documents): a pair is found by its words' numbers, no string made.
        size = len(self.vocabulary)
        pairs = sorted(
            (column[a] * size + column[b], n)
            for n, t in enumerate(self.vocabulary)
            if " " in t
            for a, b in [t.split(" ")]
        )
        self._pair_keys = np.asarray([k for k, _ in pairs], dtype=np.int64)
        self._pair_columns = np.asarray([n for _, n in pairs], dtype=np.int64)

    def __call__(self, docs: Sequence[str]) -> Any:
        """Documents' rows."""
        return self.rows([tokens(doc).sequence for doc in docs])

    def read(self, papers: Sequence[tuple[Text, Text]]) -> Any:
        """Papers' rows, each its title twice and its abstract (`learned.document`), from
        their text or the `Tokens` already read of it."""
        found = []
        for title, abstract in papers:
            heading = list(tokens(title).sequence)
            found.append(heading + heading + list(tokens(abstract).sequence))
        return self.rows(found)

    def rows(self, docs: Sequence[Sequence[str]]) -> Any:
        """Documents' rows from their words: the words looked up one by one, the rest done
        on arrays for all the documents at once."""
        import numpy as np
        from scipy.sparse import csr_matrix

        size = len(self.vocabulary)
        code = self._codes.get
        flat: list[int] = []
        lengths = []
        for doc in docs:
            found = [c for c in [code(w, _UNKNOWN) for w in doc] if c != _DROPPED]
            flat += found
            lengths.append(len(found))
        codes = np.asarray(flat, dtype=np.int64)
        owner = np.repeat(np.arange(len(docs), dtype=np.int64), lengths)
        known = codes >= 0
        cells = [owner[known] * size + codes[known]]
        pair = known[:-1] & known[1:] & (owner[:-1] == owner[1:])
        if pair.any() and len(self._pair_keys):
            keys = codes[:-1][pair] * size + codes[1:][pair]
            at = np.minimum(np.searchsorted(self._pair_keys, keys), len(self._pair_keys) - 1)
            hit = self._pair_keys[at] == keys
            cells.append(owner[:-1][pair][hit] * size + self._pair_columns[at[hit]])
        cell, counts = np.unique(np.concatenate(cells), return_counts=True)
        rows, columns = cell // size, cell % size
        values = (1.0 + np.log(counts)) * np.asarray(self.idf)[columns]
        norms = np.sqrt(np.bincount(rows, weights=values * values, minlength=len(docs)))
        values /= np.where(norms > 0, norms, 1.0)[rows]
        return csr_matrix((values, (rows, columns)), shape=(len(docs), size))

    def __getstate__(self) -> tuple[tuple[str, ...], tuple[float, ...], frozenset[str]]:
        return self.vocabulary, self.idf, self.stop_words

    def __setstate__(
        self, state: tuple[tuple[str, ...], tuple[float, ...], frozenset[str]]
    ) -> None:
        self.__init__(*state)  # type: ignore[misc]
