// Package dialogs defines the interactive dialogs of playbooks (start run,
// end run, status update, check item, next stage, add item) in a
// platform-neutral form, and parses their submissions into use-case inputs
// with per-field errors. The chat adapters render a Dialog in their own
// format (a Mattermost interactive dialog, a Slack modal).
package dialogs

// Callback IDs name each dialog; a submission carries its dialog's.
const (
	StartRun     = "start_run"
	EndRun       = "end_run"
	StatusUpdate = "status_update"
	CheckItem    = "check_item"
	NextStage    = "next_stage"
	AddItem      = "add_item"
)

// Element types, as Mattermost names them (Slack adapters map them).
const (
	TypeText     = "text"
	TypeTextarea = "textarea"
	TypeSelect   = "select"
	TypeBool     = "bool"
	TypeRadio    = "radio"
)

// DataSourceDynamic marks a select whose options are looked up as the user
// types (commands.Dispatcher.Lookup).
const DataSourceDynamic = "dynamic"

// Dialog is a form shown to one user. State is opaque data the dialog's
// submission needs back (e.g. the run ID); adapters sign it, since
// submissions are not authenticated by the platforms.
type Dialog struct {
	CallbackID  string
	Title       string // at most 24 characters
	IntroText   string
	SubmitLabel string
	State       string
	Elements    []Element
}

// Element is one input of a dialog.
type Element struct {
	Name        string // key of the submission value
	DisplayName string // at most 24 characters
	Type        string
	SubType     string // for text: "", "number", ...
	Default     string
	Placeholder string
	HelpText    string
	Optional    bool
	MaxLength   int
	Options     []Option
	DataSource  string // "" or DataSourceDynamic
}

// Option is one choice of a select or radio element.
type Option struct {
	Text  string `json:"text"`
	Value string `json:"value"`
}

// FieldErrors maps an element's Name to what is wrong with its value.
// Errors not tied to one field are under the key "".
type FieldErrors map[string]string
