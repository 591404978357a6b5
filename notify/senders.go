package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// httpClient sends the webhooks; each request is bounded by its context.
var httpClient = &http.Client{
	Transport: &http.Transport{
		Proxy:               http.ProxyFromEnvironment,
		TLSClientConfig:     &tls.Config{MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     90 * time.Second,
	},
	// A webhook that redirects is misconfigured; do not follow it with
	// the body and signature.
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// postJSON posts body to u and returns the answer's body; a non-2xx
// status is an error, permanent for 4xx other than 408 and 429.
func postJSON(ctx context.Context, u string, body []byte, header http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return nil, &PermanentError{fmt.Errorf("bad webhook URL: %w", redactURLError(err))}
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", "shoal-notify")
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, redactURLError(err)
	}
	defer func() { _ = resp.Body.Close() }()
	answer, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return nil, fmt.Errorf("read answer: %w", err)
	}
	if resp.StatusCode/100 != 2 {
		err := fmt.Errorf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(answer[:min(len(answer), 200)]))
		if resp.StatusCode/100 == 4 && resp.StatusCode != http.StatusRequestTimeout && resp.StatusCode != http.StatusTooManyRequests {
			return nil, &PermanentError{err}
		}
		return nil, err
	}
	return answer, nil
}

// redactURLError drops the URL from a *url.Error: webhook URLs hold
// secrets.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// Webhook posts the event as JSON. With a Secret, the X-Shoal-Signature
// header holds "sha256=" and the hex HMAC-SHA256 of the body.
type Webhook struct {
	URL    string
	Secret string
}

// SignatureHeader is the header of a webhook's body signature.
const SignatureHeader = "X-Shoal-Signature"

// Sign returns the signature header value of body under secret.
func Sign(secret string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// Type implements Sender.
func (w *Webhook) Type() string { return "webhook" }

// Send implements Sender.
func (w *Webhook) Send(ctx context.Context, e Event) error {
	body, err := json.Marshal(e)
	if err != nil {
		return &PermanentError{err}
	}
	h := http.Header{}
	h.Set("X-Shoal-Event", e.Type)
	if w.Secret != "" {
		h.Set(SignatureHeader, Sign(w.Secret, body))
	}
	_, err = postJSON(ctx, w.URL, body, h)
	return err
}

// Slack posts to a Slack incoming webhook.
type Slack struct {
	URL string
}

// Type implements Sender.
func (s *Slack) Type() string { return "slack" }

// SlackMessage is the body of a Slack incoming webhook request.
type SlackMessage struct {
	Text   string       `json:"text"`
	Blocks []SlackBlock `json:"blocks,omitempty"`
}

// SlackBlock is a Slack Block Kit block.
type SlackBlock struct {
	Type string     `json:"type"`
	Text *SlackText `json:"text,omitempty"`
}

// SlackText is a text object of a block.
type SlackText struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Send implements Sender.
func (s *Slack) Send(ctx context.Context, e Event) error {
	msg := SlackMessage{
		Text: e.Title, // the notification's fallback text
		Blocks: []SlackBlock{
			{Type: "header", Text: &SlackText{Type: "plain_text", Text: truncate(e.Title, 150)}},
			{Type: "section", Text: &SlackText{Type: "mrkdwn", Text: truncate(e.Text, 3000)}},
		},
	}
	body, err := json.Marshal(msg)
	if err != nil {
		return &PermanentError{err}
	}
	_, err = postJSON(ctx, s.URL, body, nil)
	return err
}

// DingTalk posts a markdown message to a DingTalk custom robot. With a
// Secret (the robot's signing secret), the URL gets the timestamp and sign
// query parameters: the base64 HMAC-SHA256, keyed by the secret, of
// "timestamp\nsecret", with the timestamp in milliseconds.
type DingTalk struct {
	URL    string
	Secret string
	// Now returns the time of the signature (time.Now when nil).
	Now func() time.Time
}

// DingTalkMessage is the body of a DingTalk robot request.
type DingTalkMessage struct {
	MsgType  string           `json:"msgtype"`
	Markdown DingTalkMarkdown `json:"markdown"`
}

// DingTalkMarkdown is a markdown message.
type DingTalkMarkdown struct {
	Title string `json:"title"`
	Text  string `json:"text"`
}

// DingTalkSign returns the sign parameter of a request at timestamp (Unix
// milliseconds) under secret, before URL encoding.
func DingTalkSign(secret string, timestamp int64) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(timestamp, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Type implements Sender.
func (d *DingTalk) Type() string { return "dingtalk" }

// Send implements Sender.
func (d *DingTalk) Send(ctx context.Context, e Event) error {
	u := d.URL
	if d.Secret != "" {
		now := time.Now
		if d.Now != nil {
			now = d.Now
		}
		ts := now().UnixMilli()
		parsed, err := url.Parse(d.URL)
		if err != nil {
			return &PermanentError{errors.New("bad DingTalk URL")}
		}
		q := parsed.Query()
		q.Set("timestamp", strconv.FormatInt(ts, 10))
		q.Set("sign", DingTalkSign(d.Secret, ts))
		parsed.RawQuery = q.Encode()
		u = parsed.String()
	}
	body, err := json.Marshal(DingTalkMessage{MsgType: "markdown", Markdown: DingTalkMarkdown{
		Title: e.Title, Text: "### " + e.Title + "\n\n" + e.Text,
	}})
	if err != nil {
		return &PermanentError{err}
	}
	answer, err := postJSON(ctx, u, body, nil)
	if err != nil {
		return err
	}
	// DingTalk answers 200 with an error code in the body.
	var res struct {
		Code    int    `json:"errcode"`
		Message string `json:"errmsg"`
	}
	if err := json.Unmarshal(answer, &res); err != nil {
		return fmt.Errorf("DingTalk answer is not JSON: %w", err)
	}
	if res.Code != 0 {
		return fmt.Errorf("DingTalk error %d: %s", res.Code, res.Message)
	}
	return nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
