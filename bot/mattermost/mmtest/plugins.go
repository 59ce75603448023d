package mmtest

import (
	"net/http"
	"slices"

	"github.com/mattermost/mattermost/server/public/model"
)

// pluginState is the server's plugins as GET /api/v4/plugins shows them.
// Guarded by Server.mu.
type pluginState struct {
	// off is PluginSettings.Enable false: no plugin runs, and the plugin
	// API answers 501.
	off       bool
	installed []*installedPlugin
}

// installedPlugin is an installed plugin: its manifest, and whether it is
// enabled and running (active).
type installedPlugin struct {
	manifest model.Manifest
	active   bool
}

// InstallPlugin installs a plugin of manifest, disabled, as an upload in
// the System Console does; installing one of the same ID replaces it.
func (s *Server) InstallPlugin(m model.Manifest) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plugins.installed = slices.DeleteFunc(s.plugins.installed, func(p *installedPlugin) bool { return p.manifest.Id == m.Id })
	s.plugins.installed = append(s.plugins.installed, &installedPlugin{manifest: m})
}

// EnablePlugin enables (and starts) an installed plugin; DisablePlugin
// stops it. Either panics for a plugin not installed.
func (s *Server) EnablePlugin(id string)  { s.setPluginActive(id, true) }
func (s *Server) DisablePlugin(id string) { s.setPluginActive(id, false) }

func (s *Server) setPluginActive(id string, active bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range s.plugins.installed {
		if p.manifest.Id == id {
			p.active = active
			return
		}
	}
	panic("mmtest: no plugin " + id)
}

// SetPluginsEnabled is PluginSettings.Enable (true on a new server): off,
// no plugin runs and the plugin API answers 501.
func (s *Server) SetPluginsEnabled(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.plugins.off = !on
}

// getPlugins answers GET /plugins as Mattermost 10 does: 501 when plugins
// are off, 403 without sysconsole_read_plugins (system admins have it),
// else the installed plugins' manifests, running ones under "active" and
// the others (disabled) under "inactive".
func (s *Server) getPlugins(w http.ResponseWriter, r *http.Request, me string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.plugins.off {
		appError(w, http.StatusNotImplemented, "app.plugin.disabled.app_error", "Plugins have been disabled. Please check your logs for details.")
		return
	}
	if !s.isAdmin(me) {
		forbidden(w)
		return
	}
	out := model.PluginsResponse{Active: []*model.PluginInfo{}, Inactive: []*model.PluginInfo{}}
	for _, p := range s.plugins.installed {
		info := &model.PluginInfo{Manifest: p.manifest}
		if p.active {
			out.Active = append(out.Active, info)
		} else {
			out.Inactive = append(out.Inactive, info)
		}
	}
	writeJSON(w, http.StatusOK, out)
}
