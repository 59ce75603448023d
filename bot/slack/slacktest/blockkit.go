package slacktest

import (
	"encoding/json"
	"fmt"
	"unicode/utf8"
)

// Block Kit limits Slack enforces, the smaller of Slack's reference
// (docs.slack.dev/reference/block-kit) and the @slack/types definitions
// where they differ. Lengths are in characters.
const (
	MaxMessageBlocks   = 50
	MaxModalBlocks     = 100
	MaxSectionText     = 3000
	MaxSectionField    = 2000
	MaxSectionFields   = 10
	MaxHeaderText      = 150
	MaxButtonText      = 75
	MaxButtonValue     = 2000
	MaxID              = 255 // action_id, block_id, callback_id, external_id
	MaxActionsElements = 25
	MaxContextElements = 10
	MaxSelectOptions   = 100 // static select, and an external select's options reply
	MaxChoiceOptions   = 10  // checkboxes, radio buttons
	MaxOptionText      = 75
	MaxOptionValue     = 75 // @slack/types; the reference says 150
	MaxPlaceholder     = 150
	MaxLabel           = 2000 // input label and hint
	MaxInputValue      = 3000 // plain_text_input initial_value and max_length
	MaxModalTitle      = 24   // title, submit, close
	MaxPrivateMetadata = 3000
	MaxViewBytes       = 250_000
	MaxMessageText     = 40_000
)

// checker collects what breaks the limits, each problem as Slack words it
// in response_metadata.messages: "[ERROR] ... [json-pointer:/blocks/0/text]".
type checker struct{ problems []string }

func (c *checker) errorf(ptr, format string, args ...any) {
	c.problems = append(c.problems, fmt.Sprintf("[ERROR] "+format+" [json-pointer:%s]", append(args, ptr)...))
}

// maxLen checks the length of s, a text of at most n characters.
func (c *checker) maxLen(ptr, s string, n int) {
	if utf8.RuneCountInString(s) > n {
		c.errorf(ptr, "must be less than %d characters", n+1)
	}
}

// text checks a text object: a plain_text or mrkdwn text of at most n
// characters.
func (c *checker) text(ptr string, v any, n int) {
	t, ok := v.(map[string]any)
	if !ok {
		c.errorf(ptr, "must be a text object")
		return
	}
	s, _ := t["text"].(string)
	if typ := t["type"]; typ != "plain_text" && typ != "mrkdwn" {
		c.errorf(ptr+"/type", "must be plain_text or mrkdwn")
	}
	if s == "" {
		c.errorf(ptr+"/text", "must be more than 0 characters")
	}
	c.maxLen(ptr+"/text", s, n)
}

// blocks checks a list of blocks of a message (at most max blocks) or a
// modal; block IDs must be unique within it.
func (c *checker) blocks(ptr string, blocks []any, max int) {
	if len(blocks) > max {
		c.errorf(ptr, "no more than %d items allowed", max)
	}
	ids := map[string]bool{}
	for i, b := range blocks {
		p := fmt.Sprintf("%s/%d", ptr, i)
		block, ok := b.(map[string]any)
		if !ok {
			c.errorf(p, "must be an object")
			continue
		}
		if id, _ := block["block_id"].(string); id != "" {
			c.maxLen(p+"/block_id", id, MaxID)
			if ids[id] {
				c.errorf(p+"/block_id", "block_id %q is used more than once", id)
			}
			ids[id] = true
		}
		c.block(p, block)
	}
}

func (c *checker) block(p string, b map[string]any) {
	switch b["type"] {
	case "section":
		if t, ok := b["text"]; ok {
			c.text(p+"/text", t, MaxSectionText)
		}
		fields, _ := b["fields"].([]any)
		if len(fields) > MaxSectionFields {
			c.errorf(p+"/fields", "no more than %d items allowed", MaxSectionFields)
		}
		for i, f := range fields {
			c.text(fmt.Sprintf("%s/fields/%d", p, i), f, MaxSectionField)
		}
		if _, ok := b["text"]; !ok && len(fields) == 0 {
			c.errorf(p, "must have text or fields")
		}
		if a, ok := b["accessory"].(map[string]any); ok {
			c.element(p+"/accessory", a)
		}
	case "header":
		c.text(p+"/text", b["text"], MaxHeaderText)
	case "actions":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > MaxActionsElements {
			c.errorf(p+"/elements", "must have 1 to %d items", MaxActionsElements)
		}
		for i, e := range els {
			el, _ := e.(map[string]any)
			c.element(fmt.Sprintf("%s/elements/%d", p, i), el)
		}
	case "context":
		els, _ := b["elements"].([]any)
		if len(els) == 0 || len(els) > MaxContextElements {
			c.errorf(p+"/elements", "must have 1 to %d items", MaxContextElements)
		}
		for i, e := range els {
			c.text(fmt.Sprintf("%s/elements/%d", p, i), e, MaxSectionText)
		}
	case "input":
		c.text(p+"/label", b["label"], MaxLabel)
		if h, ok := b["hint"]; ok {
			c.text(p+"/hint", h, MaxLabel)
		}
		el, _ := b["element"].(map[string]any)
		c.element(p+"/element", el)
	case "divider":
	default:
		c.errorf(p+"/type", "block type %v is not one the double knows", b["type"])
	}
}

func (c *checker) element(p string, e map[string]any) {
	if e == nil {
		c.errorf(p, "must be an element")
		return
	}
	if id, _ := e["action_id"].(string); id != "" {
		c.maxLen(p+"/action_id", id, MaxID)
	}
	if ph, ok := e["placeholder"]; ok {
		c.text(p+"/placeholder", ph, MaxPlaceholder)
	}
	switch e["type"] {
	case "button":
		c.text(p+"/text", e["text"], MaxButtonText)
		v, _ := e["value"].(string)
		c.maxLen(p+"/value", v, MaxButtonValue)
	case "static_select":
		opts, _ := e["options"].([]any)
		if len(opts) == 0 || len(opts) > MaxSelectOptions {
			c.errorf(p+"/options", "must have 1 to %d items", MaxSelectOptions)
		}
		c.options(p+"/options", opts)
		c.initial(p, e)
	case "external_select":
		c.initial(p, e)
	case "checkboxes", "radio_buttons":
		opts, _ := e["options"].([]any)
		if len(opts) == 0 || len(opts) > MaxChoiceOptions {
			c.errorf(p+"/options", "must have 1 to %d items", MaxChoiceOptions)
		}
		c.options(p+"/options", opts)
		c.initial(p, e)
	case "plain_text_input":
		v, _ := e["initial_value"].(string)
		c.maxLen(p+"/initial_value", v, MaxInputValue)
		if n, ok := e["max_length"].(float64); ok && (n < 1 || n > MaxInputValue) {
			c.errorf(p+"/max_length", "must be between 1 and %d", MaxInputValue)
		}
	default:
		c.errorf(p+"/type", "element type %v is not one the double knows", e["type"])
	}
}

// options checks option objects: text and value of at most 75 characters.
func (c *checker) options(p string, opts []any) {
	for i, o := range opts {
		op := fmt.Sprintf("%s/%d", p, i)
		opt, ok := o.(map[string]any)
		if !ok {
			c.errorf(op, "must be an option")
			continue
		}
		c.text(op+"/text", opt["text"], MaxOptionText)
		v, _ := opt["value"].(string)
		if v == "" {
			c.errorf(op+"/value", "must be more than 0 characters")
		}
		c.maxLen(op+"/value", v, MaxOptionValue)
	}
}

// initial checks an element's initial option(s).
func (c *checker) initial(p string, e map[string]any) {
	if o, ok := e["initial_option"].(map[string]any); ok {
		c.options(p+"/initial_option", []any{o})
	}
	if os, ok := e["initial_options"].([]any); ok {
		c.options(p+"/initial_options", os)
	}
}

// checkMessage checks a message's text and blocks (JSON) as
// chat.postMessage, chat.update and chat.postEphemeral do.
func checkMessage(text string, blocks []any) []string {
	c := &checker{}
	c.maxLen("/text", text, MaxMessageText)
	c.blocks("/blocks", blocks, MaxMessageBlocks)
	return c.problems
}

// checkView checks a modal as views.open, views.update, views.push and a
// response_action's view: its type, title, submit and close, callback
// and external IDs, private_metadata, blocks, and its size.
func checkView(view map[string]any) []string {
	c := &checker{}
	if view["type"] != "modal" {
		c.errorf("/view/type", "must be modal")
	}
	c.text("/view/title", view["title"], MaxModalTitle)
	for _, k := range []string{"submit", "close"} {
		if t, ok := view[k]; ok && t != nil {
			c.text("/view/"+k, t, MaxModalTitle)
		}
	}
	for _, k := range []string{"callback_id", "external_id"} {
		s, _ := view[k].(string)
		c.maxLen("/view/"+k, s, MaxID)
	}
	md, _ := view["private_metadata"].(string)
	c.maxLen("/view/private_metadata", md, MaxPrivateMetadata)
	blocks, _ := view["blocks"].([]any)
	c.blocks("/view/blocks", blocks, MaxModalBlocks)
	hasInput := false
	for _, b := range blocks {
		if m, _ := b.(map[string]any); m != nil && m["type"] == "input" {
			hasInput = true
		}
	}
	if hasInput && view["submit"] == nil {
		c.errorf("/view/submit", "a view with input blocks must have a submit button")
	}
	if raw, _ := json.Marshal(view); len(raw) > MaxViewBytes {
		c.errorf("/view", "must be no larger than %d bytes", MaxViewBytes)
	}
	return c.problems
}

// checkOptions checks an options reply to a block_suggestion: at most 100
// options, each within the option limits.
func checkOptions(opts []any) []string {
	c := &checker{}
	if len(opts) > MaxSelectOptions {
		c.errorf("/options", "no more than %d items allowed", MaxSelectOptions)
	}
	c.options("/options", opts)
	return c.problems
}
