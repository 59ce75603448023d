package api

import (
	"net/http"

	"github.com/playbooks-bot/playbooks/bot"
)

// createdClient is the 201 of createClient: the client and its secret,
// the one answer that ever holds it.
type createdClient struct {
	bot.Client
	ClientSecret string `json:"client_secret"`
}

// decodeClientSpec decodes the body of createClient.
func decodeClientSpec(body []byte) (bot.ClientSpec, error) {
	var spec bot.ClientSpec
	if err := decodeJSON(body, &spec); err != nil {
		return bot.ClientSpec{}, err
	}
	return spec, nil
}

// createClient registers an OAuth2 client (admins only): 201 with the
// client and its secret, shown once.
func (s *server) createClient(w http.ResponseWriter, r *http.Request) error {
	spec, err := decodeBody(w, r, decodeClientSpec)
	if err != nil {
		return err
	}
	secret, c, err := s.svc.CreateClient(r.Context(), actor(r), s.origin(r, bot.ViaREST), spec)
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store") // the secret
	w.Header().Set("Location", BasePath+"/admin/clients/"+c.ID)
	return writeJSON(w, http.StatusCreated, createdClient{Client: c, ClientSecret: secret})
}

// listClients answers every OAuth2 client, without secrets (admins only).
func (s *server) listClients(w http.ResponseWriter, r *http.Request) error {
	cs, err := s.svc.ListClients(r.Context(), actor(r))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, cs)
}

// revokeClient revokes an OAuth2 client and so its live access tokens
// (admins only): 204.
func (s *server) revokeClient(w http.ResponseWriter, r *http.Request) error {
	if err := s.svc.RevokeClient(r.Context(), actor(r), s.origin(r, bot.ViaREST), pathID(r, "id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
