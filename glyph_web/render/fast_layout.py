"""Fast re-implementation of reportlab's Paragraph/SimpleDocTemplate layout for Glyph's setup.

`iter_layout(text, config, ttfont)` yields, per page, a PageLayout (glyph_web.contracts) of the pieces reportlab
draws: the page background, and per drawn paragraph piece its origin (the `cm` translation), size, background
colour and lines, each line as (first-baseline offset index, word spacing Tw, [(rgb, text), ...]); it raises
NeedFallback where this model does not follow reportlab, so that the caller falls back to reportlab itself.

The algorithm is a transliteration of the code paths reportlab takes for this setup (paragraph.py:
_getFragWords, Paragraph.breakLines both paths, split, _split_blParaHard/_split_blParaSimple, the draw
functions; frames.py Frame._add/split; doctemplate.py handle_flowable), restricted to text and <br/>
fragments, LEFT alignment, no hyphenation, with one change for speed: a paragraph is broken into lines lazily,
only as far as the current frame needs, so the re-wrap of the remainder after every page split costs one page
of work instead of the whole remainder (reportlab's greedy breaker never looks ahead, so the lines are the
same).
"""

from __future__ import annotations

import re
from unicodedata import category as _category

from glyph_web.contracts import LayoutPiece, PageLayout

_WSC = ('\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008'
        '\u2009\u200a\u200b\u2028\u2029\u202f\u205f\u3000')
_wsc_re_split = re.compile('[%s]+' % re.escape(_WSC)).split
_WHITESPACE = ' \t\n\r\x0b\x0c'  # string.whitespace
_FUZZ = 1e-6
_SPACE_SHRINKAGE = 0.05
_CJK = re.compile('[\u4e00-\u9fff]')
_ASTRAL = re.compile('[\U00010000-\U0010ffff]')
_NEWLINES = {"<br/>": "br", '<font color="#FF0000"> \\n </font>': "marker"}
LINES_PER_PARAGRAPH = 30
FRAME_PADDING = 6.0


def _split(text):
    return _wsc_re_split(text) if '\xa0' in text else text.split()


def _hex_rgb(h: str):
    h = h.strip()
    h = h[1:] if h.startswith('#') else h[2:]
    v = int(h, 16)
    return ((v >> 16) / 255.0, ((v >> 8) & 255) / 255.0, (v & 255) / 255.0)


class Frag:
    """A reportlab ParaFrag reduced to what matters here: text, colour, and whether it is a <br/>."""
    __slots__ = ('text', 'color', 'br', 'kind')

    def __init__(self, text, color, br=False):
        self.text = text
        self.color = color
        self.br = br
        self.kind = 0

    def clone(self):
        f = Frag(self.text, self.color, self.br)
        f.kind = self.kind
        return f


class HS(list):
    """_HSFrag: a frag word followed by a space."""
    __slots__ = ()


class Line:
    __slots__ = ('extra', 'count', 'lb', 'words')

    def __init__(self, extra, count, lb, words):
        self.extra = extra
        self.count = count
        self.lb = lb
        self.words = words


class Metrics:
    def __init__(self, ttfont, size):
        face = ttfont.face
        self.get = face.charWidths.get
        self.dw = face.defaultWidth
        self.k = 0.001 * size
        get, dw = self.get, self.dw

        class _CharWidths(dict):
            def __missing__(self, c):
                v = self[c] = get(ord(c), dw)
                return v
        self._cw = cw = _CharWidths()
        k = self.k

        class _WordWidths(dict):
            # reportlab: 0.001*size*sum(widths) (pure-Python rl_accel; left-to-right float sum on 3.11);
            # words repeat, so each distinct one is summed once
            def __missing__(self, s):
                v = self[s] = k * sum(map(cw.__getitem__, s))
                return v
        self.width = _WordWidths().__getitem__
        self.size = size
        self.space = self.width(' ')


# ---------------------------------------------------------------- markup -> frags (ParaParser's output)

_TOKENS = re.compile(r'<br/>|<font color="#FF0000">|</font>|&amp;|&lt;|&gt;|&nbsp;|[^<&]+')
_ENT = {'&amp;': '&', '&lt;': '<', '&gt;': '>', '&nbsp;': '\xa0'}


_wsc_runs = re.compile('[%s]+' % re.escape(_WSC))
_space_runs = re.compile(r'\s+')  # the characters str.split() splits on (str.isspace)


def _clean_block(text):
    """cleanBlockQuotedText for a markup without newlines: strip, split on whitespace, join with ' '.

    ' '.join(_split(text)) as one substitution: a paragraph can hold the whole document, and the list of all
    its words would cost ten times the text in memory."""
    text = text.strip(_WSC)
    if '\xa0' in text:
        return _collapse(text, _wsc_runs)
    return _collapse(text, _space_runs).strip()


def _collapse(text, runs, chunk=1 << 16):
    """runs.sub(' ', text), a chunk at a time: re.sub keeps a list of every piece until it joins them, about
    fifteen times the text for a document of short words. Chunks end after a whole run, never inside one."""
    if len(text) <= chunk:
        return runs.sub(' ', text)
    out = []
    pos = 0
    while pos < len(text):
        end = min(len(text), pos + chunk)
        rest = runs.match(text, end)
        if rest:
            end = rest.end()
        out.append(runs.sub(' ', text[pos:end]))
        pos = end
    return ''.join(out)


def markup_frags(markup, black, red):
    text = _clean_block(markup)
    frags = []
    color = black
    pos = 0
    for m in _TOKENS.finditer(text):
        if m.start() != pos:
            return None
        pos = m.end()
        t = m.group()
        if t == '<br/>':
            frags.append(Frag('', color, True))
        elif t == '<font color="#FF0000">':
            color = red
        elif t == '</font>':
            color = black
        elif t in _ENT:
            frags.append(Frag(_ENT[t], color))
        else:
            frags.append(Frag(t, color))
    if pos != len(text):
        return None
    return frags


# ---------------------------------------------------------------- _getFragWords (lazy)

def frag_words(frags, M):
    """Yield reportlab's frag words [width, (frag, text), ...] (HS when followed by a space)."""
    W = []
    n = 0
    hangingStrip = True
    last_hs = False
    width = M.width
    for f in frags:
        text = f.text
        if text != '':
            f.kind = 0
            if hangingStrip:
                text = text.lstrip(_WSC)
                if not text:
                    continue
                hangingStrip = False
            S = _split(text)
            if text[0] in _WHITESPACE or not S:
                if W:
                    W.insert(0, n)
                    yield W
                    last_hs = False
                    whs = False
                    W = []
                    n = 0
                else:
                    whs = last_hs
                if not whs:
                    S.insert(0, '')
                elif not S:
                    continue
            for w in S[:-1]:
                W.append((f, w))
                n += width(w)
                W.insert(0, n)
                yield HS(W)
                last_hs = True
                W = []
                n = 0
            w = S[-1]
            W.append((f, w))
            n += width(w)
            if text[-1] in _WHITESPACE:
                W.insert(0, n)
                yield HS(W)
                last_hs = True
                W = []
                n = 0
        elif f.br:
            if W:
                W.insert(0, n)
                yield W
                W = []
                n = 0
            f.kind = 3
            yield [0, (f, '')]
            last_hs = False
            hangingStrip = True
    if W:
        W.insert(0, n)
        yield W


def _same(g, f):
    return not g.br and not f.br and g.color == f.color


class LazyWords:
    """A paragraph's frag-word list, made only as far as the layout has read it: one paragraph can hold a
    whole document (30 source lines each), and its first page should not wait for the words of the last.
    frag_words sets each frag's kind before yielding its words, so reading lazily changes nothing."""

    __slots__ = ('items', 'words', 'base')

    def __init__(self, words):
        self.items = []  # words base, base + 1, ...
        self.words = words
        self.base = 0

    def get(self, i):
        """Word i, or None past the end."""
        items = self.items
        i -= self.base
        while i >= len(items):
            w = next(self.words, None)
            if w is None:
                return None
            items.append(w)
        return items[i]

    def drop_before(self, i):
        """Words before i are never read again (the layout has passed them): let them go, in amortised
        linear time, so that memory does not grow with the paragraph."""
        if i - self.base > len(self.items) // 2:
            del self.items[:i - self.base]
            self.base = i


class NeedFallback(Exception):
    pass


def break_lines_hard(FW, start, maxWidth, M, need):
    """breakLines' multi-fragment path over the frag words FW[start:] (reportlab's split hands P2 the
    frag-word list from the split line's sFW on). Stops once more than `need` lines are complete; returns
    (lines, sFWs, more) with sFWs[i] the index in FW where line i starts."""
    lines = []
    sfws = [start]
    words = []
    sw = M.space
    n = spaceWidth = currentWidth = 0
    g = None
    i = start
    while True:
        w = FW.get(i)
        if w is None:
            break
        i += 1
        if not words:
            n = spaceWidth = currentWidth = 0
        wordWidth = w[0]
        f = w[1][0]
        if wordWidth > 0:
            newWidth = currentWidth + spaceWidth + wordWidth
        else:
            newWidth = currentWidth
        lineBreak = f.kind == 3
        spaceShrink = spaceWidth
        for wi in words:
            if wi.kind == 0:
                ns = wi.text.count(' ')
                if ns:
                    spaceShrink += ns * sw
        spaceShrink *= _SPACE_SHRINKAGE
        limWidth = maxWidth + spaceShrink
        if not lineBreak and newWidth > limWidth:
            if wordWidth > maxWidth:
                raise NeedFallback('a word wider than a line')
        endLine = (newWidth > limWidth and n > 0) or lineBreak
        if not endLine:
            nText = w[1][1]
            if nText:
                n += 1
            if not words:
                g = f.clone()
                words = [g]
                g.text = nText
            elif not _same(g, f):
                if spaceWidth:
                    j = len(words) - 1
                    while j >= 0:
                        wi = words[j]
                        j -= 1
                        if wi.kind == 0:
                            if not wi.text.endswith(' '):
                                wi.text += ' '
                            break
                g = f.clone()
                words.append(g)
                g.text = nText
            elif spaceWidth:
                if not g.text.endswith(' '):
                    g.text += ' ' + nText
                else:
                    g.text += nText
            else:
                g.text += nText
            spaceWidth = sw if isinstance(w, HS) else 0
            ni = 0
            for piece in w[2:]:
                g = piece[0].clone()
                g.text = piece[1]
                if g.text:
                    ni = 1
                words.append(g)
            if not nText and ni:
                n += 1
            currentWidth = newWidth
        else:
            if lineBreak:
                g = f.clone()
                words.append(g)
                llb = True
            else:
                llb = False
            lines.append(Line(maxWidth - currentWidth, n, llb, words))
            sfws.append(i - 1)
            if len(lines) > need:
                return lines, sfws, True
            if lineBreak:
                words = []
                continue
            spaceWidth = sw if isinstance(w, HS) else 0
            currentWidth = wordWidth
            n = 1
            g = f.clone()
            words = [g]
            g.text = w[1][1]
            for piece in w[2:]:
                g = piece[0].clone()
                g.text = piece[1]
                words.append(g)
    if words:
        lines.append(Line(maxWidth - currentWidth, n, False, words))
    return lines, sfws, len(lines) > need


def break_lines_simple(words, start, maxWidth, M, need):
    """breakLines' single-fragment path on words[start:]; lines are (extraSpace, [words]); also returns the
    index in `words` where each line starts (reportlab's split hands P2 the words of lines[s:])."""
    lines = []
    starts = [start]
    spaceWidth = M.space
    dSpaceShrink = _SPACE_SHRINKAGE * spaceWidth
    cLine = []
    currentWidth = -spaceWidth
    width = M.width
    for i in range(start, len(words)):
        word = words[i]
        wordWidth = width(word)
        newWidth = currentWidth + spaceWidth + wordWidth
        limWidth = maxWidth + dSpaceShrink * len(cLine)
        if newWidth > limWidth and wordWidth > maxWidth:
            raise NeedFallback('a word wider than a line')
        if newWidth <= limWidth or not len(cLine):
            cLine.append(word)
            currentWidth = newWidth
        else:
            lines.append((maxWidth - currentWidth, cLine))
            starts.append(i)
            if len(lines) > need:
                return lines, starts, True
            cLine = [word]
            currentWidth = wordWidth
    if cLine != []:
        lines.append((maxWidth - currentWidth, cLine))
    return lines, starts, len(lines) > need


class Para:
    """A Paragraph (or a split remainder): kind 0 = one fragment, `data` its words; kind 1 = the frag-word
    list. `start` is where this flowable begins in `data`."""

    __slots__ = ('kind', 'data', 'start', 'color')

    def __init__(self, kind, data, color, start=0):
        self.kind = kind
        self.data = data
        self.start = start
        self.color = color

    @classmethod
    def from_frags(cls, frags, color, M):
        if len(frags) == 1:  # breakLines' single-fragment path, even for a lone <br/> (text '')
            text = frags[0].text.strip(_WSC)
            return cls(0, _split(text) if text else [], frags[0].color)
        if not frags:
            return cls(0, [], color)
        FW = LazyWords(frag_words(frags, M))
        if FW.get(0) is None:
            f = frags[0]
            f.kind = 0
            FW.items.append([0, (f, '')])
        return cls(1, FW, color)

    def empty(self):
        return self.kind == 0 and not any(w.strip(_WSC) for w in self.data[self.start:])

    def has_frags(self):
        """False where Paragraph.split returns [] at once (no fragments left)."""
        return not (self.kind == 0 and not self.data[self.start:])

    def wrap(self, maxWidth, M, need):
        if self.kind == 0:
            if self.empty():
                return [], [self.start], False
            return break_lines_simple(self.data, self.start, maxWidth, M, need)
        return break_lines_hard(self.data, self.start, maxWidth, M, need)

    def tail(self, starts, s):
        """Paragraph.split's P2 for lines[s:]. The words before it are done with: they are let go (in
        amortised linear time), so that a paragraph as long as the document does not hold them all."""
        start = starts[s]
        if self.kind == 1:
            self.data.drop_before(start)
            return Para(1, self.data, self.color, start)
        if start > len(self.data) // 2:
            return Para(0, self.data[start:], self.color, 0)
        return Para(0, self.data, self.color, start)


# ---------------------------------------------------------------- CJK (wordWrap='CJK': breakLinesCJK)

# reportlab.lib.textsplit: characters that may not start a line (they hang in the margin instead)
ALL_CANNOT_START = (
    '!\',.:;?!")]\u3001\u3002\u300d\u300f\u3011\u3015\uff3d\u3011\uff09'
    '\u3005\u2015\u3041\u3043\u3045\u3047\u3049\u3063\u3083\u3085\u3087\u308e\u30a1\u30a3'
    '\u30a5\u30a7\u30a9\u30c3\u30e3\u30e5\u30e7\u30ee\u30fc\u30f5\u30f6'
    '\u309b\u309c\u30fb\u30fd\u30fe\u309d\u309e\u2015\u2010\xb0\u2032\u2033\u2103\uffe0\uff05\u2030')


class CJKPara:
    """A Paragraph under wordWrap='CJK' (any U+4E00..U+9FFF in the document): broken character by character.

    kind 0: one fragment, `text` (textsplit.dumbSplit); kind 1: several, `frags` (cjkFragSplit). Unlike the
    Western path, the remainder of a split paragraph is not the rest of the same lines: reportlab rebuilds
    it from the lines (kind 0 joins their stripped texts, kind 1 appends a space to every line's last word)
    and wraps it again from the start, so each page re-wraps its whole remainder, as here.
    """

    __slots__ = ('kind', 'text', 'frags', 'color', '_lines')

    def __init__(self, kind, color, text='', frags=()):
        self.kind = kind
        self.color = color
        self.text = text
        self.frags = list(frags)
        self._lines = None

    @classmethod
    def from_frags(cls, frags, color):
        if len(frags) == 1:  # breakLinesCJK's single-fragment path: wordSplit on its text
            return cls(0, frags[0].color, text=frags[0].text)
        return cls(1, color, frags=frags)

    def has_frags(self):
        return self.kind == 0 or bool(self.frags)

    def wrap(self, maxWidth, M, need):
        if self.kind == 0:
            lines = _dumb_split(self.text, maxWidth, M)
        else:
            lines = _cjk_frag_split(self.frags, maxWidth, M)
        self._lines = lines
        return lines, None, len(lines) > need

    def tail(self, starts, s):
        """Paragraph.split's P2 from lines[s:] of the last wrap (_split_blParaSimple / _split_blParaHard)."""
        lines = self._lines[s:]
        if self.kind == 0:
            return CJKPara(0, self.color, text=''.join(line[1][0] for line in lines))
        words = []
        last = lines[-1]
        for line in lines:
            words.extend(line.words)
            if line is not last and words:
                g = words[-1]
                if not g.text:
                    g.text = ' '
                elif g.text[-1] != ' ':
                    g.text += ' '
        return CJKPara.from_frags(words, self.color)


def _dumb_split(text, maxWidth, M):
    """textsplit.dumbSplit: as many characters as fit, backing up to a space or an ideograph inside a Western
    word, an overflowing character that may not start a line kept hanging. Lines are (extraSpace, [text])."""
    width = M.width
    widths = [width(c) for c in text]
    lines = []
    i = widthUsed = lineStartPos = 0
    n = len(text)
    while i < n:
        w = widths[i]
        c = text[i]
        widthUsed += w
        i += 1
        if widthUsed > maxWidth + _FUZZ and widthUsed > 0:
            extraSpace = maxWidth - widthUsed
            if ord(c) < 0x3000:
                limitCheck = (lineStartPos + i) >> 1
                for j in range(i - 1, limitCheck, -1):
                    cj = text[j]
                    if _category(cj) == 'Zs' or ord(cj) >= 0x3000:
                        k = j + 1
                        if k < i:
                            j = k + 1
                            extraSpace += sum(widths[j:i])
                            w = widths[k]
                            c = text[k]
                            i = j
                            break
            if c not in ALL_CANNOT_START and i > lineStartPos + 1:
                i -= 1
                extraSpace += w
            lines.append((extraSpace, [text[lineStartPos:i].strip()]))
            lineStartPos = i
            widthUsed = 0
    if widthUsed > 0:
        lines.append((maxWidth - widthUsed, [text[lineStartPos:]]))
    return lines


def _cjk_frag_split(frags, maxWidth, M):
    """paragraph.cjkFragSplit over frags (each character a unit; a <br/> an empty unit that ends its line);
    lines are Line(extraSpace, 1, lineBreak, words) with makeCJKParaLine's words."""
    chars = []
    owners = []
    for f in frags:
        if f.text:
            chars.extend(f.text)
            owners.extend([f] * len(f.text))
        else:
            chars.append('')
            owners.append(f)
    width = M.width
    widths = [width(c) for c in chars]
    lines = []
    i = widthUsed = lineStartPos = 0
    n = len(chars)
    while i < n:
        k_u = i
        w = widths[i]
        i += 1
        widthUsed += w
        lineBreak = owners[k_u].br
        if (widthUsed > maxWidth + _FUZZ and widthUsed > 0) or lineBreak:
            extraSpace = maxWidth - widthUsed
            if not lineBreak:
                if not chars[k_u]:
                    raise NeedFallback('an empty fragment where reportlab would fail')
                if ord(chars[k_u]) < 0x3000:
                    limitCheck = (lineStartPos + i) >> 1
                    for j in range(i - 1, limitCheck, -1):
                        uj = chars[j]
                        if not uj:
                            raise NeedFallback('an empty fragment where reportlab would fail')
                        if _category(uj) == 'Zs' or ord(uj) >= 0x3000:
                            k = j + 1
                            if k < i:
                                j = k + 1
                                extraSpace += sum(widths[ii] for ii in range(j, i))
                                w = widths[k]
                                k_u = k
                                i = j
                                break
                if chars[k_u] not in ALL_CANNOT_START and i > lineStartPos + 1:
                    i -= 1
                    extraSpace += w
            lines.append(Line(extraSpace, 1, lineBreak, _cjk_words(chars, owners, lineStartPos, i)))
            lineStartPos = i
            widthUsed = 0
    if widthUsed > 0:
        lines.append(Line(maxWidth - widthUsed, 1, False, _cjk_words(chars, owners, lineStartPos, n)))
    return lines


def _cjk_words(chars, owners, a, b):
    """makeCJKParaLine's words: runs of units of the same kind of fragment, each a clone of the run's first
    fragment holding the run's text."""
    words = []
    first = None
    run = []
    for idx in range(a, b):
        f = owners[idx]
        if first is None or not _same(first, f):
            if first is not None:
                g = first.clone()
                g.text = ''.join(run)
                words.append(g)
            first = f
            run = []
        run.append(chars[idx])
    if first is not None:
        g = first.clone()
        g.text = ''.join(run)
        words.append(g)
    return words


def _line_ops(kind, line, color):
    """(tw, runs) for one line, as _leftDrawParaLine(X) draws it."""
    if kind == 0:
        extra, words = line
        text = ' '.join(words)
        tw = 0.0
        if not extra > -1e-8:
            nSpaces = len(words) + text.count('\xa0') - 1
            if nSpaces > 0:
                tw = extra / float(nSpaces)
        return tw, ([(color, text.replace('\xa0', ' '))] if text else [])
    tw = 0.0
    if not line.extra > -1e-8:
        nSpaces = line.count + sum(w.text.count('\xa0') for w in line.words) - 1
        if nSpaces > 0:
            tw = line.extra / float(nSpaces)
    runs = []
    for w in line.words:
        if not w.text:
            continue
        t = w.text.replace('\xa0', ' ')  # ttfonts.splitString: "map nbsp into space"
        if runs and runs[-1][0] == w.color:
            runs[-1] = (w.color, runs[-1][1] + t)
        else:
            runs.append((w.color, t))
    return tw, runs


def iter_layout(text, config, ttfont):
    """The page layouts (see module doc), each yielded once complete so that drawing can start early; raises
    NeedFallback where reportlab would differ from this model."""
    from glyph_web.render.markup import paragraph_markups

    if config.alignment != 'LEFT' or config.newline_markup not in _NEWLINES:
        raise NeedFallback('an alignment other than LEFT or another newline markup')
    cjk = bool(_CJK.search(text))  # the official renderer sets wordWrap='CJK' for the whole document
    if _ASTRAL.search(text):
        raise NeedFallback('characters above U+FFFF')
    if (config.first_line_indent or config.left_indent or config.right_indent or config.space_before
            or config.space_after or config.border_width or config.border_padding):
        raise NeedFallback('indents, paragraph spacing or borders')
    black = _hex_rgb(config.font_color)
    red = (1.0, 0.0, 0.0)
    bg = _hex_rgb(config.para_bg_color)
    page_bg = _hex_rgb(config.page_bg_color)
    M = Metrics(ttfont, config.font_size)
    leading = config.leading
    pw, ph = config.page_size
    x1 = config.margin_x
    y1 = config.margin_y
    fw = pw - 2 * config.margin_x
    fh = ph - 2 * config.margin_y
    aW = fw - 2 * FRAME_PADDING
    top = y1 + fh - FRAME_PADDING
    p = y1 + FRAME_PADDING
    fx = x1 + FRAME_PADDING

    def story():  # Paragraphs made as the layout reaches them, so that the first page comes out early
        for markup in paragraph_markups(text, config.newline_markup):
            frags = markup_frags(markup, black, red)
            if frags is None:
                raise NeedFallback('markup the fast layout does not parse')
            yield CJKPara.from_frags(frags, black) if cjk else Para.from_frags(frags, black, M)

    cur = PageLayout(page_bg)
    y = top

    def draw(para, lines, y0):
        # drawPara: `cm` to (fx, y0), the background rectangle, then Tm to the first baseline and T* per line
        height = len(lines) * leading
        piece = LayoutPiece((fx, y0), (aW, height), bg)
        cur.pieces.append(piece)
        for i, line in enumerate(lines):
            tw, runs = _line_ops(para.kind, line, para.color)
            piece.lines.append((i, tw, runs))

    paras = story()
    queue = []  # paragraphs put back: a split remainder, or one postponed to the next page
    postponed = None
    while True:
        para = queue.pop() if queue else next(paras, None)
        if para is None:
            break
        h = y - p
        lines = starts = None
        if h > 0:
            # Frame._add: wrap, then draw if it fits. Lines beyond need+1 cannot fit: stop there.
            lines, starts, more = para.wrap(aW, M, int(h / leading) + 1)
            if not more:
                height = len(lines) * leading
                if not (y - height < p - _FUZZ):
                    draw(para, lines, y - height)
                    y -= height
                    postponed = None
                    continue
        # Frame.split -> Paragraph.split (allowOrphans=0, allowWidows=1)
        split = False
        if h > 0 and para.has_frags():
            s = int(h / float(leading))
            if s > 1 and len(lines) > s:
                # P1 = lines[0:s] (reportlab re-wraps P1 from the same words: the same lines),
                # P2 = the words from line s on.
                height = s * leading
                if y - height < p - _FUZZ:
                    raise NeedFallback('a page split reportlab refuses ("Splitting error")')
                draw(para, lines[:s], y - height)
                y -= height
                queue.append(para.tail(starts, s))
                postponed = None
                split = True
        if not split:
            if postponed is para:
                raise NeedFallback('a paragraph too large for an empty page (LayoutError)')
            postponed = para
            queue.append(para)
            yield cur
            cur = PageLayout(page_bg)
            y = top
    yield cur
