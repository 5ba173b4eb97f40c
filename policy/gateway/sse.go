package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
)

var errEventTooLarge = errors.New("gateway: server-sent event too large to filter")

// sseFilter rewrites a text/event-stream event by event. It parses the
// stream as the HTML Living Standard defines it (lines end in CRLF, LF or
// CR; an empty line dispatches the event; "data" lines are joined with LF;
// one space after the colon is dropped) and hands each event's data to
// process. An event process leaves unchanged is written byte for byte; a
// changed one is written with its other lines (id:, event:, retry:,
// comments) kept and its data as a single "data:" line; a dropped one is not
// written. Bytes after the last complete event are discarded at close, as a
// client would discard them.
type sseFilter struct {
	out     io.Writer
	max     int64
	process func(data []byte) (out []byte, changed bool, err error)

	raw    []byte // the current event as received
	other  []byte // its non-data lines, LF-terminated
	data   []byte // its data, lines joined by LF
	ndata  int    // number of data lines
	line   []byte // the current line so far
	lastCR bool
	err    error
	// odd is set when the current event has a line that only a lenient
	// parser would read as data (" data:", "Data:", "data :"): the event
	// is dropped, since the gateway cannot know what the client reads.
	odd bool
	// started is set once the stream's first bytes have been checked for
	// a byte order mark; bom holds the bytes seen until then.
	started bool
	bom     []byte
}

// utf8BOM is stripped from the start of a stream, as clients do.
const utf8BOM = "\xef\xbb\xbf"

func (s *sseFilter) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	n := len(p)
	if !s.started {
		// The specification strips one leading U+FEFF; so must the
		// gateway, or "\uFEFFdata:" is data to the client but not to it.
		s.bom = append(s.bom, p...)
		if len(s.bom) < len(utf8BOM) && utf8BOM[:len(s.bom)] == string(s.bom) {
			return n, nil
		}
		s.started = true
		p = bytes.TrimPrefix(s.bom, []byte(utf8BOM))
		s.bom = nil
	}
	for len(p) > 0 {
		if s.lastCR {
			s.lastCR = false
			if p[0] == '\n' {
				if len(s.raw) == 0 {
					// The LF of a CRLF that ended the previous event.
					if _, err := s.out.Write(p[:1]); err != nil {
						s.err = err
						return 0, err
					}
				} else {
					s.raw = append(s.raw, '\n')
				}
				p = p[1:]
				continue
			}
		}
		i := bytes.IndexAny(p, "\r\n")
		if i < 0 {
			s.line = append(s.line, p...)
			s.raw = append(s.raw, p...)
			p = nil
		} else {
			s.line = append(s.line, p[:i]...)
			s.raw = append(s.raw, p[:i+1]...)
			s.lastCR = p[i] == '\r'
			p = p[i+1:]
			if err := s.endLine(); err != nil {
				s.err = err
				return 0, err
			}
		}
		if int64(len(s.raw)) > s.max {
			s.err = errEventTooLarge
			return 0, s.err
		}
	}
	return n, nil
}

func (s *sseFilter) endLine() error {
	line := s.line
	s.line = s.line[:0]
	if len(line) == 0 {
		return s.dispatch()
	}
	field, value := line, []byte(nil)
	if i := bytes.IndexByte(line, ':'); i >= 0 {
		field, value = line[:i], line[i+1:]
		if len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
	}
	if string(field) != "data" && isDataLike(field) || line[0] == '{' || line[0] == '[' {
		// A JSON line outside a data field is ignored by a conforming
		// client, but a lenient one might decode it.
		s.odd = true
	}
	if string(field) == "data" {
		if s.ndata > 0 {
			s.data = append(s.data, '\n')
		}
		s.data = append(s.data, value...)
		s.ndata++
		return nil
	}
	s.other = append(s.other, line...)
	s.other = append(s.other, '\n')
	return nil
}

func (s *sseFilter) dispatch() error {
	defer s.reset()
	if s.odd {
		return nil
	}
	if s.ndata == 0 {
		_, err := s.out.Write(s.raw)
		return err
	}
	out, changed, err := s.process(s.data)
	if err != nil {
		// An event that cannot be read strictly is dropped, not forwarded.
		return nil
	}
	if !changed {
		_, err := s.out.Write(s.raw)
		return err
	}
	var buf bytes.Buffer
	buf.Grow(len(s.other) + len(out) + 8)
	buf.Write(s.other)
	buf.WriteString("data: ")
	// Compact, so that the rewritten data is one line: raw values may
	// contain line breaks as JSON white space.
	if err := json.Compact(&buf, out); err != nil {
		return nil
	}
	buf.WriteString("\n\n")
	_, err = s.out.Write(buf.Bytes())
	return err
}

func (s *sseFilter) reset() {
	s.raw = s.raw[:0]
	s.other = s.other[:0]
	s.data = s.data[:0]
	s.ndata = 0
	s.odd = false
}

// isDataLike reports whether a field name is "data" up to ASCII case and
// surrounding white space (or a stray byte order mark).
func isDataLike(field []byte) bool {
	f := bytes.TrimSpace(bytes.ReplaceAll(field, []byte(utf8BOM), nil))
	return bytes.EqualFold(f, []byte("data"))
}

// close discards an incomplete trailing event (and a stream shorter than
// a byte order mark).
func (s *sseFilter) close() {
	s.bom = nil
	s.reset()
	s.line = s.line[:0]
}
