package bot

import (
	"encoding/json"
	"fmt"
)

// WebhookPayload is the body of the webhooks a run sends, the spec's
// WebhookOnCreationPayload and WebhookOnStatusUpdatePayload: the run with
// links to its channel and its details page.
type WebhookPayload struct {
	Run
	ChannelURL string `json:"channel_url"`
	DetailsURL string `json:"details_url"`
}

// webhookJob returns the job that POSTs the run's payload, as it is now, to
// url.
func (s *Service) webhookJob(r Run, url string, now int64) (Job, error) {
	r.StatusUpdates, r.TimelineEvents = nonNil(r.StatusUpdates), nonNil(r.TimelineEvents)
	// Webhook URLs often carry a token: one receiver is not told another's.
	r.WebhookOnStatusUpdateURL = ""
	p := WebhookPayload{Run: r, DetailsURL: s.DetailsURL(r)}
	if s.channelURL != nil {
		p.ChannelURL = s.channelURL(r)
	}
	body, err := json.Marshal(p)
	if err != nil {
		return Job{}, fmt.Errorf("encode webhook of run %s: %w", r.ID, err)
	}
	payload, err := json.Marshal(WebhookJob{URL: url, Body: string(body)})
	if err != nil {
		return Job{}, fmt.Errorf("encode webhook job of run %s: %w", r.ID, err)
	}
	return Job{ID: s.newID(), Kind: JobWebhook, RunID: r.ID, DueAt: now, Payload: string(payload),
		CreateAt: now, State: JobPending}, nil
}
