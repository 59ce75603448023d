package mattermost

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/mattermost/mattermost/server/public/model"
)

// serverInfo is what the bot knows of the Mattermost server it talks to.
type serverInfo struct {
	// major and minor are its version: from X-Version-Id, which every API
	// v4 answer carries ("11.0.0.<build number>.<config hash>.<licensed>"),
	// else the client configuration's "Version" (a proxy may drop the
	// header); 0 when unknown.
	major, minor int64
	// siteURL is its site URL, as users' browsers reach it (the client
	// configuration's SiteURL); "" when unknown.
	siteURL string
}

// dynamicSelects reports whether the server's dialogs have dynamic selects
// (data_source "dynamic" with data_source_url): from Mattermost 11.0. A
// 10.x server refuses them and shows the user an empty list.
func (i serverInfo) dynamicSelects() bool { return i.major >= 11 }

// infoRetry is how long the bot waits before it asks again for the
// server's info it could not read.
const infoRetry = time.Minute

// server returns what the bot knows of the Mattermost server, read once,
// with GET /api/v4/config/client?format=old (its X-Version-Id header and
// its SiteURL), then kept for the life of the process: a server upgraded
// to 11 is seen as such after the bot restarts. Until it could be read
// (at most once a minute is it asked again) the server is taken for a
// 10.x of unknown site URL: static selects, no icon in answers. Concurrent
// callers wait for the one read.
func (c *Client) server(ctx context.Context) serverInfo {
	c.infoMu.Lock()
	defer c.infoMu.Unlock()
	if c.info != nil {
		return *c.info
	}
	if !c.infoFailedAt.IsZero() && c.now().Sub(c.infoFailedAt) < infoRetry {
		return serverInfo{}
	}
	info, err := c.readServerInfo(ctx)
	if err != nil {
		c.infoFailedAt = c.now()
		c.log.WarnContext(ctx, "read Mattermost's version and site URL; taking it for a 10.x server for now", "error", err)
		return serverInfo{}
	}
	c.info = &info
	c.log.InfoContext(ctx, "Mattermost server", "version", fmt.Sprintf("%d.%d", info.major, info.minor),
		"dynamic_selects", info.dynamicSelects(), "site_url", info.siteURL)
	return info
}

// readServerInfo asks Mattermost for its client configuration.
func (c *Client) readServerInfo(ctx context.Context) (serverInfo, error) {
	res, err := c.api.DoAPIGet(ctx, "/config/client?format=old", "")
	if err != nil {
		return serverInfo{}, apiError(model.BuildResponse(res), err, "client configuration")
	}
	defer res.Body.Close()
	var cfg map[string]string
	if err := json.NewDecoder(io.LimitReader(res.Body, maxBody)).Decode(&cfg); err != nil {
		return serverInfo{}, fmt.Errorf("decode Mattermost's client configuration: %w", err)
	}
	info := serverInfo{siteURL: strings.TrimRight(cfg["SiteURL"], "/")}
	info.major, info.minor, _ = model.SplitVersion(res.Header.Get(model.HeaderVersionId))
	if info.major == 0 {
		info.major, info.minor, _ = model.SplitVersion(cfg["Version"])
	}
	if !model.IsValidHTTPURL(info.siteURL) {
		info.siteURL = ""
	}
	return info, nil
}

// iconURL is the icon_url of the bot's answers to slash commands: its
// avatar, at the site URL. Mattermost gives a command's post an icon
// override whenever the server allows overrides, an empty one when the
// answer has no icon_url, and logs a warning for each such post; "" (no
// override asked) when the site URL or the bot's ID is unknown.
func (c *Client) iconURL(ctx context.Context) string {
	site := c.server(ctx).siteURL
	if site == "" {
		return ""
	}
	self, err := c.self(ctx)
	if err != nil {
		return ""
	}
	return site + "/api/v4/users/" + self + "/image"
}
