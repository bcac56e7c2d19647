// Package fakeslack is a local Slack Web API for the methods AccessHive calls
// (auth.test, chat.postMessage, chat.update, chat.postEphemeral, users.info),
// answering as Slack documents: {"ok": false, "error": ...} for a token it does
// not know (invalid_auth), a channel that does not exist (channel_not_found) or
// the bot is not in (not_in_channel), a message that is not there
// (message_not_found), a user it does not know (user_not_found), and blocks
// Slack would refuse (invalid_blocks: unknown block types, more than 50 blocks,
// more than 25 elements in an actions block, button text over 75 characters or
// values over 2,000). It also signs interaction callbacks as Slack does.
package fakeslack

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// Message is a posted message as it is now, with its earlier versions.
type Message struct {
	Channel string
	TS      string
	Text    string
	Blocks  json.RawMessage
	Edits   int
}

// Ephemeral is a message only one user saw.
type Ephemeral struct {
	Channel, User, Text string
}

type workspace struct{ teamID, teamName, botUser string }

// User is a Slack user.
type User struct {
	ID, Email string
	Confirmed bool
	Deleted   bool
}

// Slack is the fake.
type Slack struct {
	mu         sync.Mutex
	workspaces map[string]workspace // bot token -> workspace
	channels   map[string]bool      // channel -> bot is a member
	users      map[string]User
	messages   []*Message
	ephemerals []Ephemeral
	seq        int
}

// New returns an empty Slack.
func New() *Slack {
	return &Slack{workspaces: map[string]workspace{}, channels: map[string]bool{}, users: map[string]User{}}
}

// AddWorkspace makes a bot token valid for a workspace.
func (s *Slack) AddWorkspace(token, teamID, teamName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.workspaces[token] = workspace{teamID: teamID, teamName: teamName, botUser: "U0BOT" + teamID}
}

// AddChannel creates a channel; member says whether the bot was invited.
func (s *Slack) AddChannel(id string, member bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = member
}

// AddUser adds a user.
func (s *Slack) AddUser(u User) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.users[u.ID] = u
}

// Messages returns the messages of a channel, oldest first.
func (s *Slack) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.Channel == channel {
			out = append(out, *m)
		}
	}
	return out
}

// Ephemerals returns the ephemeral messages sent.
func (s *Slack) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Ephemeral(nil), s.ephemerals...)
}

// Sign is the X-Slack-Signature of a request body at a timestamp (Unix
// seconds), as Slack computes it with the app's signing secret.
func Sign(signingSecret string, timestamp int64, body string) string {
	mac := hmac.New(sha256.New, []byte(signingSecret))
	fmt.Fprintf(mac, "v0:%d:%s", timestamp, body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

// InteractionBody is the form body Slack posts when a user clicks a button of a
// message: a block_actions payload.
func InteractionBody(teamID, userID, channel, messageTS, actionID, value string) string {
	payload := map[string]any{
		"type": "block_actions", "team": map[string]any{"id": teamID}, "user": map[string]any{"id": userID},
		"channel": map[string]any{"id": channel}, "container": map[string]any{"type": "message", "channel_id": channel, "message_ts": messageTS},
		"api_app_id": "A0ACCESSHIVE", "trigger_id": "1.2.3", "response_url": "https://hooks.slack.invalid/actions/1",
		"actions": []any{map[string]any{"type": "button", "action_id": actionID, "block_id": "accesshive_review", "value": value,
			"action_ts": "1700000000.000001", "text": map[string]any{"type": "plain_text", "text": "x"}}},
	}
	b, _ := json.Marshal(payload)
	return url.Values{"payload": {string(b)}}.Encode()
}

func (s *Slack) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	params, err := readParams(r)
	if err != nil {
		reply(w, map[string]any{"ok": false, "error": "invalid_form_data"})
		return
	}
	token := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if token == "" {
		token = params.Get("token")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ws, ok := s.workspaces[token]
	if !ok {
		reply(w, map[string]any{"ok": false, "error": "invalid_auth"})
		return
	}
	switch method {
	case "auth.test":
		reply(w, map[string]any{"ok": true, "url": "https://" + strings.ToLower(ws.teamName) + ".slack.com/", "team": ws.teamName,
			"user": "accesshive", "team_id": ws.teamID, "user_id": ws.botUser, "bot_id": "B0" + ws.teamID})
	case "chat.postMessage":
		ch := params.Get("channel")
		if e := s.channelError(ch); e != "" {
			reply(w, map[string]any{"ok": false, "error": e})
			return
		}
		blocks, e := checkBlocks(params.Get("blocks"))
		if e != "" {
			reply(w, map[string]any{"ok": false, "error": e})
			return
		}
		s.seq++
		m := &Message{Channel: ch, TS: fmt.Sprintf("1700000000.%06d", s.seq), Text: params.Get("text"), Blocks: blocks}
		s.messages = append(s.messages, m)
		reply(w, map[string]any{"ok": true, "channel": ch, "ts": m.TS, "message": map[string]any{"text": m.Text}})
	case "chat.update":
		ch, ts := params.Get("channel"), params.Get("ts")
		if e := s.channelError(ch); e != "" {
			reply(w, map[string]any{"ok": false, "error": e})
			return
		}
		blocks, e := checkBlocks(params.Get("blocks"))
		if e != "" {
			reply(w, map[string]any{"ok": false, "error": e})
			return
		}
		for _, m := range s.messages {
			if m.Channel == ch && m.TS == ts {
				m.Text, m.Blocks = params.Get("text"), blocks
				m.Edits++
				reply(w, map[string]any{"ok": true, "channel": ch, "ts": ts, "text": m.Text})
				return
			}
		}
		reply(w, map[string]any{"ok": false, "error": "message_not_found"})
	case "chat.postEphemeral":
		ch, user := params.Get("channel"), params.Get("user")
		if e := s.channelError(ch); e != "" {
			reply(w, map[string]any{"ok": false, "error": e})
			return
		}
		if _, ok := s.users[user]; !ok {
			reply(w, map[string]any{"ok": false, "error": "user_not_in_channel"})
			return
		}
		s.ephemerals = append(s.ephemerals, Ephemeral{Channel: ch, User: user, Text: params.Get("text")})
		reply(w, map[string]any{"ok": true, "message_ts": "1700000000.999999"})
	case "users.info":
		u, ok := s.users[params.Get("user")]
		if !ok {
			reply(w, map[string]any{"ok": false, "error": "user_not_found"})
			return
		}
		reply(w, map[string]any{"ok": true, "user": map[string]any{"id": u.ID, "team_id": ws.teamID, "name": strings.Split(u.Email, "@")[0],
			"deleted": u.Deleted, "is_email_confirmed": u.Confirmed, "profile": map[string]any{"email": u.Email}}})
	default:
		reply(w, map[string]any{"ok": false, "error": "unknown_method"})
	}
}

func (s *Slack) channelError(ch string) string {
	member, ok := s.channels[ch]
	switch {
	case !ok:
		return "channel_not_found"
	case !member:
		return "not_in_channel"
	}
	return ""
}

// checkBlocks holds blocks to Slack's documented limits.
func checkBlocks(raw string) (json.RawMessage, string) {
	if raw == "" {
		return nil, ""
	}
	var blocks []map[string]any
	if err := json.Unmarshal([]byte(raw), &blocks); err != nil || len(blocks) > 50 {
		return nil, "invalid_blocks"
	}
	for _, b := range blocks {
		switch b["type"] {
		case "section", "context", "divider", "header":
		case "actions":
			els, _ := b["elements"].([]any)
			if len(els) == 0 || len(els) > 25 {
				return nil, "invalid_blocks"
			}
			for _, e := range els {
				el, _ := e.(map[string]any)
				text, _ := el["text"].(map[string]any)
				label, _ := text["text"].(string)
				value, _ := el["value"].(string)
				id, _ := el["action_id"].(string)
				if el["type"] != "button" || label == "" || len(label) > 75 || len(value) > 2000 || id == "" || len(id) > 255 {
					return nil, "invalid_blocks"
				}
			}
		default:
			return nil, "invalid_blocks"
		}
	}
	return json.RawMessage(raw), ""
}

func readParams(r *http.Request) (url.Values, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			return nil, err
		}
		v := url.Values{}
		for k, x := range m {
			switch t := x.(type) {
			case string:
				v.Set(k, t)
			default:
				b, _ := json.Marshal(t)
				v.Set(k, string(b))
			}
		}
		return v, nil
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, err
	}
	for k, vs := range r.URL.Query() {
		v[k] = vs
	}
	return v, nil
}

func reply(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
