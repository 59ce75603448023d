package mmtest

// Stop shuts the server down as a Mattermost that was stopped: from now
// on every connection to URL is refused, for the REST API and the
// outgoing webhooks alike, until the test ends (nothing restarts it on the
// same address). What the server recorded can still be read.
func (s *Server) Stop() { s.srv.Close() }
