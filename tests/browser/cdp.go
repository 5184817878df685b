// Package browser drives headless Chromium through the Chrome DevTools
// Protocol for the end-to-end tests of the web administration (see
// admin_test.go). It holds a minimal WebSocket client (RFC 6455, client
// side only) and a small CDP client: enough to open a page, fill and
// submit forms, read the page and take screenshots.
package browser

import (
	"bufio"
	"context"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"
)

// maxMessage bounds a WebSocket message (screenshots are the largest).
const maxMessage = 64 << 20

// wsConn is a client WebSocket connection. Reads happen on one goroutine
// (the CDP reader); writes are serialized by mu.
type wsConn struct {
	c  net.Conn
	r  *bufio.Reader
	mu sync.Mutex
}

// dialWS opens a WebSocket to a ws:// URL.
func dialWS(ctx context.Context, rawURL string) (*wsConn, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "ws" {
		return nil, fmt.Errorf("websocket URL %q: not ws://", rawURL)
	}
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", u.Host)
	if err != nil {
		return nil, fmt.Errorf("websocket dial: %w", err)
	}
	var k [16]byte
	if _, err := rand.Read(k[:]); err != nil {
		c.Close()
		return nil, err
	}
	key := base64.StdEncoding.EncodeToString(k[:])
	req := "GET " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(c, req); err != nil {
		c.Close()
		return nil, fmt.Errorf("websocket handshake: %w", err)
	}
	r := bufio.NewReader(c)
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("websocket handshake: %w", err)
	}
	resp.Body.Close()
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	if resp.StatusCode != http.StatusSwitchingProtocols ||
		resp.Header.Get("Sec-WebSocket-Accept") != base64.StdEncoding.EncodeToString(sum[:]) {
		c.Close()
		return nil, fmt.Errorf("websocket handshake refused: %s", resp.Status)
	}
	return &wsConn{c: c, r: r}, nil
}

// writeFrame sends one masked frame.
func (w *wsConn) writeFrame(opcode byte, payload []byte) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	hdr := []byte{0x80 | opcode}
	n := len(payload)
	switch {
	case n < 126:
		hdr = append(hdr, 0x80|byte(n))
	case n <= 0xffff:
		hdr = append(hdr, 0x80|126, byte(n>>8), byte(n))
	default:
		hdr = append(hdr, 0x80|127)
		hdr = binary.BigEndian.AppendUint64(hdr, uint64(n))
	}
	var mask [4]byte
	if _, err := rand.Read(mask[:]); err != nil {
		return err
	}
	hdr = append(hdr, mask[:]...)
	buf := make([]byte, len(hdr)+n)
	copy(buf, hdr)
	for i, b := range payload {
		buf[len(hdr)+i] = b ^ mask[i%4]
	}
	_, err := w.c.Write(buf)
	return err
}

// WriteText sends a text message.
func (w *wsConn) WriteText(p []byte) error { return w.writeFrame(0x1, p) }

// ReadMessage returns the next text or binary message, answering pings
// and joining fragments.
func (w *wsConn) ReadMessage() ([]byte, error) {
	var msg []byte
	for {
		var h [2]byte
		if _, err := io.ReadFull(w.r, h[:]); err != nil {
			return nil, err
		}
		fin, opcode := h[0]&0x80 != 0, h[0]&0x0f
		masked := h[1]&0x80 != 0
		n := uint64(h[1] & 0x7f)
		switch n {
		case 126:
			var b [2]byte
			if _, err := io.ReadFull(w.r, b[:]); err != nil {
				return nil, err
			}
			n = uint64(binary.BigEndian.Uint16(b[:]))
		case 127:
			var b [8]byte
			if _, err := io.ReadFull(w.r, b[:]); err != nil {
				return nil, err
			}
			n = binary.BigEndian.Uint64(b[:])
		}
		if n > maxMessage || uint64(len(msg))+n > maxMessage {
			return nil, errors.New("websocket: message too large")
		}
		var mask [4]byte
		if masked {
			if _, err := io.ReadFull(w.r, mask[:]); err != nil {
				return nil, err
			}
		}
		payload := make([]byte, n)
		if _, err := io.ReadFull(w.r, payload); err != nil {
			return nil, err
		}
		if masked {
			for i := range payload {
				payload[i] ^= mask[i%4]
			}
		}
		switch opcode {
		case 0x8:
			return nil, io.EOF
		case 0x9:
			if err := w.writeFrame(0xA, payload); err != nil {
				return nil, err
			}
			continue
		case 0xA:
			continue
		}
		msg = append(msg, payload...)
		if fin {
			return msg, nil
		}
	}
}

// Close closes the connection.
func (w *wsConn) Close() error { return w.c.Close() }

// Chrome is a running headless Chromium.
type Chrome struct {
	cmd  *exec.Cmd
	ws   *wsConn
	dir  string
	logs *strings.Builder

	mu      sync.Mutex
	nextID  int64
	pending map[int64]chan rpcResponse
	readErr error
	done    chan struct{}
}

type rpcResponse struct {
	ID     int64           `json:"id"`
	Result json.RawMessage `json:"result"`
	Error  *struct {
		Code    int    `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
	Method    string `json:"method"`
	SessionID string `json:"sessionId"`
}

// ChromeFlags are the command-line flags every launch uses.
var ChromeFlags = []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
	"--disable-dev-shm-usage", "--hide-scrollbars", "--remote-debugging-port=0"}

// StartChrome launches the browser at path with a new empty profile in
// dir and connects to its DevTools endpoint.
func StartChrome(ctx context.Context, path, dir string) (*Chrome, error) {
	args := append(append([]string(nil), ChromeFlags...), "--user-data-dir="+filepath.Join(dir, "profile"), "about:blank")
	cmd := exec.Command(path, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", path, err)
	}
	ch := &Chrome{cmd: cmd, dir: dir, logs: &strings.Builder{}, pending: map[int64]chan rpcResponse{}, done: make(chan struct{})}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sent := false
		for sc.Scan() {
			line := sc.Text()
			ch.mu.Lock()
			if ch.logs.Len() < 1<<20 {
				ch.logs.WriteString(line + "\n")
			}
			ch.mu.Unlock()
			if i := strings.Index(line, "DevTools listening on "); i >= 0 && !sent {
				found <- strings.TrimSpace(line[i+len("DevTools listening on "):])
				sent = true
			}
		}
	}()
	var wsURL string
	select {
	case wsURL = <-found:
	case <-time.After(30 * time.Second):
		ch.Stop()
		return nil, fmt.Errorf("chromium did not print its DevTools URL:\n%s", ch.Logs())
	case <-ctx.Done():
		ch.Stop()
		return nil, ctx.Err()
	}
	if ch.ws, err = dialWS(ctx, wsURL); err != nil {
		ch.Stop()
		return nil, err
	}
	go ch.reader()
	return ch, nil
}

// Logs returns what the browser printed.
func (c *Chrome) Logs() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.logs.String()
}

func (c *Chrome) reader() {
	defer close(c.done)
	for {
		msg, err := c.ws.ReadMessage()
		if err != nil {
			c.mu.Lock()
			c.readErr = err
			for id, p := range c.pending {
				close(p)
				delete(c.pending, id)
			}
			c.mu.Unlock()
			return
		}
		var r rpcResponse
		if json.Unmarshal(msg, &r) != nil || r.ID == 0 {
			continue // events are not used
		}
		c.mu.Lock()
		p := c.pending[r.ID]
		delete(c.pending, r.ID)
		c.mu.Unlock()
		if p != nil {
			p <- r
		}
	}
}

// Call sends a CDP command (to a target session when sessionID is not
// empty) and decodes its result into out (may be nil).
func (c *Chrome) Call(ctx context.Context, sessionID, method string, params, out any) error {
	c.mu.Lock()
	if c.readErr != nil {
		c.mu.Unlock()
		return fmt.Errorf("cdp %s: connection lost: %w", method, c.readErr)
	}
	c.nextID++
	id := c.nextID
	p := make(chan rpcResponse, 1)
	c.pending[id] = p
	c.mu.Unlock()
	req := map[string]any{"id": id, "method": method}
	if params != nil {
		req["params"] = params
	}
	if sessionID != "" {
		req["sessionId"] = sessionID
	}
	b, err := json.Marshal(req)
	if err != nil {
		return err
	}
	if err := c.ws.WriteText(b); err != nil {
		return fmt.Errorf("cdp %s: %w", method, err)
	}
	select {
	case r, ok := <-p:
		if !ok {
			return fmt.Errorf("cdp %s: connection lost", method)
		}
		if r.Error != nil {
			return fmt.Errorf("cdp %s: %s (%d)", method, r.Error.Message, r.Error.Code)
		}
		if out != nil {
			return json.Unmarshal(r.Result, out)
		}
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.pending, id)
		c.mu.Unlock()
		return fmt.Errorf("cdp %s: %w", method, ctx.Err())
	}
}

// Stop ends the browser (its whole process group) and waits for it.
func (c *Chrome) Stop() {
	if c.ws != nil {
		c.ws.Close()
	}
	if c.cmd.Process != nil {
		_ = syscall.Kill(-c.cmd.Process.Pid, syscall.SIGKILL)
		_ = c.cmd.Wait()
	}
}

// Page is one browser tab.
type Page struct {
	c       *Chrome
	session string
}

// NewPage opens a tab and attaches to it.
func (c *Chrome) NewPage(ctx context.Context) (*Page, error) {
	var t struct {
		TargetID string `json:"targetId"`
	}
	if err := c.Call(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &t); err != nil {
		return nil, err
	}
	var a struct {
		SessionID string `json:"sessionId"`
	}
	if err := c.Call(ctx, "", "Target.attachToTarget", map[string]any{"targetId": t.TargetID, "flatten": true}, &a); err != nil {
		return nil, err
	}
	p := &Page{c: c, session: a.SessionID}
	for _, m := range []string{"Page.enable", "Runtime.enable"} {
		if err := p.call(ctx, m, nil, nil); err != nil {
			return nil, err
		}
	}
	return p, nil
}

func (p *Page) call(ctx context.Context, method string, params, out any) error {
	return p.c.Call(ctx, p.session, method, params, out)
}

// Eval evaluates a JavaScript expression in the page (DevTools runs it
// whatever the page's Content-Security-Policy) and decodes its value.
func (p *Page) Eval(ctx context.Context, expr string, out any) error {
	var r struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception *struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := p.call(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true}, &r); err != nil {
		return err
	}
	if r.ExceptionDetails != nil {
		msg := r.ExceptionDetails.Text
		if r.ExceptionDetails.Exception != nil {
			msg = r.ExceptionDetails.Exception.Description
		}
		return fmt.Errorf("evaluate %q: %s", expr, msg)
	}
	if out != nil && len(r.Result.Value) > 0 {
		return json.Unmarshal(r.Result.Value, out)
	}
	return nil
}

// mark tags the current document so that waitNew can tell when another
// one has replaced it.
func (p *Page) mark(ctx context.Context) error {
	return p.Eval(ctx, "window.__hostdirOld = true", nil)
}

// waitNew waits until a new document has loaded.
func (p *Page) waitNew(ctx context.Context) error {
	for {
		var ready bool
		err := p.Eval(ctx, "window.__hostdirOld === undefined && document.readyState === 'complete'", &ready)
		if err == nil && ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for the next page: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Navigate loads a URL and waits for it.
func (p *Page) Navigate(ctx context.Context, u string) error {
	if err := p.mark(ctx); err != nil {
		return err
	}
	if err := p.call(ctx, "Page.navigate", map[string]any{"url": u}, nil); err != nil {
		return err
	}
	return p.waitNew(ctx)
}

// Fill sets the value of the form field matched by a CSS selector.
func (p *Page) Fill(ctx context.Context, selector, value string) error {
	s, _ := json.Marshal(selector)
	v, _ := json.Marshal(value)
	var ok bool
	err := p.Eval(ctx, fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false; e.value = %s; return true })()`, s, v), &ok)
	if err == nil && !ok {
		err = fmt.Errorf("no element %s", selector)
	}
	return err
}

// Click clicks the element matched by a CSS selector (a submit button)
// and waits for the next page.
func (p *Page) Click(ctx context.Context, selector string) error {
	if err := p.mark(ctx); err != nil {
		return err
	}
	s, _ := json.Marshal(selector)
	var ok bool
	if err := p.Eval(ctx, fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return false; e.click(); return true })()`, s), &ok); err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("no element %s", selector)
	}
	return p.waitNew(ctx)
}

// Text returns the page's visible text.
func (p *Page) Text(ctx context.Context) (string, error) {
	var s string
	err := p.Eval(ctx, "document.body ? document.body.innerText : ''", &s)
	return s, err
}

// SetViewport emulates a screen size (mobile: a phone's touch screen).
func (p *Page) SetViewport(ctx context.Context, width, height int, mobile bool) error {
	scale := 1.0
	if mobile {
		scale = 2
	}
	return p.call(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{
		"width": width, "height": height, "deviceScaleFactor": scale, "mobile": mobile}, nil)
}

// PressTab sends a Tab key press.
func (p *Page) PressTab(ctx context.Context) error {
	for _, typ := range []string{"keyDown", "keyUp"} {
		if err := p.call(ctx, "Input.dispatchKeyEvent", map[string]any{"type": typ, "key": "Tab", "code": "Tab",
			"windowsVirtualKeyCode": 9}, nil); err != nil {
			return err
		}
	}
	return nil
}

// Screenshot saves a PNG of the whole page.
func (p *Page) Screenshot(ctx context.Context, path string) error {
	var r struct {
		Data string `json:"data"`
	}
	if err := p.call(ctx, "Page.captureScreenshot", map[string]any{"format": "png", "captureBeyondViewport": true}, &r); err != nil {
		return err
	}
	b, err := base64.StdEncoding.DecodeString(r.Data)
	if err != nil {
		return fmt.Errorf("screenshot: %w", err)
	}
	return os.WriteFile(path, b, 0o644)
}
