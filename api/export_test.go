package api

import (
	"fmt"
	"slices"

	"github.com/gorilla/mux"
)

// RegisteredRoute is a path template and the methods the router serves it
// with; Methods is nil for a route that takes every method.
type RegisteredRoute struct {
	Path    string
	Methods []string
}

// RegisteredRoutes walks the router routes.go builds and returns every
// route it registers, for the test that compares them with openapi.yaml.
func RegisteredRoutes() ([]RegisteredRoute, error) {
	var out []RegisteredRoute
	err := (&server{}).routes().Walk(func(rt *mux.Route, _ *mux.Router, _ []*mux.Route) error {
		path, err := rt.GetPathTemplate()
		if err != nil {
			return fmt.Errorf("route without a path: %w", err)
		}
		methods, _ := rt.GetMethods() // its only error: a route of every method
		out = append(out, RegisteredRoute{Path: path, Methods: slices.Clone(methods)})
		return nil
	})
	return out, err
}
