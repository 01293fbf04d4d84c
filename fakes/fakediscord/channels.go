package fakediscord

import (
	"cmp"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
)

// channelMessageFlags are the flags a channel message may set.
const channelMessageFlags = FlagSuppressEmbeds | FlagSuppressNotifications | FlagIsVoiceMessage | FlagIsComponentsV2

// AddChannel registers a channel with the fake, such as the channel
// alerts go to. Channels of interactions are added when the interaction is
// registered, and threads when the bot creates them.
func (s *Server) AddChannel(ch Channel) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch.Permissions = ""
	s.channels[ch.ID] = &ch
	if ch.GuildID != "" {
		s.guilds[ch.GuildID] = true
	}
}

// Channel returns a channel or thread by ID.
func (s *Server) Channel(id string) (Channel, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[id]
	if !ok {
		return Channel{}, false
	}
	return *ch, true
}

// ChannelMessages returns the messages in a channel that are visible to
// every member, oldest first: channel messages and non-ephemeral interaction
// responses and follow-ups. Deleted messages are left out.
func (s *Server) ChannelMessages(channelID string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messages {
		if m.ChannelID == channelID {
			out = append(out, m.clone())
		}
	}
	slices.SortFunc(out, func(a, b Message) int {
		x, _ := strconv.ParseInt(a.ID, 10, 64)
		y, _ := strconv.ParseInt(b.ID, 10, 64)
		return cmp.Compare(x, y)
	})
	return out
}

// getGateway serves GET /gateway.
func (s *Server) getGateway(*call) (int, any, *apiError) {
	return http.StatusOK, map[string]any{"url": s.GatewayURL()}, nil
}

// getGatewayBot serves GET /gateway/bot.
func (s *Server) getGatewayBot(*call) (int, any, *apiError) {
	return http.StatusOK, map[string]any{
		"url":    s.GatewayURL(),
		"shards": 1,
		"session_start_limit": map[string]any{
			"total":           1000,
			"remaining":       max(0, 1000-s.gateway.identifyCount()),
			"reset_after":     86400000,
			"max_concurrency": 1,
		},
	}, nil
}

// getChannel serves GET /channels/{channel_id}.
func (s *Server) getChannel(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[c.params["channel_id"]]
	if !ok {
		return 0, nil, errUnknownChannel()
	}
	return http.StatusOK, *ch, nil
}

// createChannelMessage serves POST /channels/{channel_id}/messages.
func (s *Server) createChannelMessage(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ch, ok := s.channels[c.params["channel_id"]]
	if !ok {
		return 0, nil, errUnknownChannel()
	}
	in, errs := parseMessageInput(c.payload, nil)
	if apiErr := errInvalidForm(errs); apiErr != nil {
		return 0, nil, apiErr
	}
	m := &Message{
		ID:        s.ids.next(),
		ChannelID: ch.ID,
		GuildID:   ch.GuildID,
		Type:      MessageTypeDefault,
		AuthorID:  s.opts.BotUserID,
		CreatedAt: c.now,
	}
	if apiErr := s.applyMessage(m, in, c.files, messageChange{allowedFlags: channelMessageFlags}); apiErr != nil {
		return 0, nil, apiErr
	}
	s.messages[m.ID] = m
	if ch.IsThread() {
		ch.MessageCount++
	}
	return http.StatusOK, s.renderMessage(*m), nil
}

// threadInput is the body of both thread routes.
type threadInput struct {
	Name                string          `json:"name"`
	AutoArchiveDuration *int            `json:"auto_archive_duration"`
	Type                *int            `json:"type"`
	Invitable           *bool           `json:"invitable"`
	RateLimitPerUser    *int            `json:"rate_limit_per_user"`
	Message             json.RawMessage `json:"message"`
}

func parseThreadInput(payload json.RawMessage) (threadInput, []fieldError) {
	var in threadInput
	if payload == nil || json.Unmarshal(payload, &in) != nil {
		return in, []fieldError{{code: "MODEL_TYPE_CONVERT", message: "Only dictionaries may be used in a ModelType"}}
	}
	errs := checkLength([]string{"name"}, in.Name, 100, true)
	// auto_archive_duration is in minutes, from a fixed set.
	if in.AutoArchiveDuration != nil && !slices.Contains([]int{60, 1440, 4320, 10080}, *in.AutoArchiveDuration) {
		errs = append(errs, fieldError{path: []string{"auto_archive_duration"}, code: "BASE_TYPE_CHOICES", message: "Value must be one of {60, 1440, 4320, 10080}."})
	}
	return in, errs
}

// newThread registers a thread in parent. The caller holds s.mu.
func (s *Server) newThread(id string, threadType int, parent *Channel, in threadInput, c *call) *Channel {
	thread := &Channel{
		ID:                  id,
		Type:                threadType,
		GuildID:             parent.GuildID,
		Name:                in.Name,
		ParentID:            parent.ID,
		OwnerID:             s.opts.BotUserID,
		AutoArchiveDuration: 1440,
		CreatedAt:           c.now,
	}
	if in.AutoArchiveDuration != nil {
		thread.AutoArchiveDuration = *in.AutoArchiveDuration
	}
	if in.RateLimitPerUser != nil {
		thread.RateLimitPerUser = *in.RateLimitPerUser
	}
	if threadType == ChannelTypePrivateThread {
		thread.Invitable = in.Invitable == nil || *in.Invitable
	}
	s.channels[id] = thread
	return thread
}

// createThread serves POST /channels/{channel_id}/threads. Without a type
// the thread is private, as API v9 documents. In a forum channel the body
// must hold the starter message.
func (s *Server) createThread(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent, ok := s.channels[c.params["channel_id"]]
	if !ok {
		return 0, nil, errUnknownChannel()
	}
	in, errs := parseThreadInput(c.payload)
	if apiErr := errInvalidForm(errs); apiErr != nil {
		return 0, nil, apiErr
	}

	switch parent.Type {
	case ChannelTypeGuildForum:
		return s.createForumPost(parent, in, c)
	case ChannelTypeGuildText, ChannelTypeGuildAnnouncement:
	default:
		return 0, nil, errWrongChannelType()
	}
	threadType := ChannelTypePrivateThread
	if in.Type != nil {
		threadType = *in.Type
	}
	valid := threadType == ChannelTypePublicThread || threadType == ChannelTypePrivateThread
	if parent.Type == ChannelTypeGuildAnnouncement {
		valid = threadType == ChannelTypeAnnouncementThread
	}
	if !valid {
		return 0, nil, errInvalidForm([]fieldError{{path: []string{"type"}, code: "BASE_TYPE_CHOICES", message: "This thread type cannot be created in this channel."}})
	}
	thread := s.newThread(s.ids.next(), threadType, parent, in, c)
	return http.StatusCreated, *thread, nil
}

// createForumPost creates a forum thread and its starter message, which
// shares the thread's ID.
func (s *Server) createForumPost(parent *Channel, in threadInput, c *call) (int, any, *apiError) {
	message, errs := parseMessageInput(in.Message, []string{"message"})
	if in.Message == nil {
		errs = append(errs, fieldError{path: []string{"message"}, code: "BASE_TYPE_REQUIRED", message: "This field is required"})
	}
	if apiErr := errInvalidForm(errs); apiErr != nil {
		return 0, nil, apiErr
	}
	id := s.ids.next()
	starter := &Message{ID: id, ChannelID: id, GuildID: parent.GuildID, AuthorID: s.opts.BotUserID, CreatedAt: c.now}
	if apiErr := s.applyMessage(starter, message, c.files, messageChange{prefix: []string{"message"}, allowedFlags: channelMessageFlags}); apiErr != nil {
		return 0, nil, apiErr
	}
	thread := s.newThread(id, ChannelTypePublicThread, parent, in, c)
	thread.MessageCount = 1
	s.messages[id] = starter
	return http.StatusCreated, *thread, nil
}

// createMessageThread serves POST /channels/{channel_id}/messages/{message_id}/threads.
// The thread takes the message's ID, as on Discord.
func (s *Server) createMessageThread(c *call) (int, any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	parent, ok := s.channels[c.params["channel_id"]]
	if !ok {
		return 0, nil, errUnknownChannel()
	}
	message, ok := s.messages[c.params["message_id"]]
	if !ok || message.ChannelID != parent.ID {
		return 0, nil, errUnknownMessage()
	}
	threadType := ChannelTypePublicThread
	switch parent.Type {
	case ChannelTypeGuildText:
	case ChannelTypeGuildAnnouncement:
		threadType = ChannelTypeAnnouncementThread
	default:
		return 0, nil, errWrongChannelType()
	}
	if message.ThreadID != "" {
		return 0, nil, errThreadAlreadyCreated()
	}
	in, errs := parseThreadInput(c.payload)
	if apiErr := errInvalidForm(errs); apiErr != nil {
		return 0, nil, apiErr
	}
	thread := s.newThread(message.ID, threadType, parent, in, c)
	message.ThreadID = thread.ID
	return http.StatusCreated, *thread, nil
}
