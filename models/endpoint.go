package models

import "github.com/uptrace/bun"

// Endpoint keys: the seed rows of endpoint_table, spelled as the original
// plan spells them. Every OpenAI request that can cost money is metered
// under one of them.
const (
	EndpointImagesGenerate         = "openai_images_generate"
	EndpointImagesVariation        = "openai_images_variation"
	EndpointAssistantCreate        = "openai_assistant_create"
	EndpointAssistantSubmitToolRun = "openai_assistant_submit_tool_run"
	EndpointAssistantThreadCreate  = "openai_assistant_thread_create"
	EndpointAssistantRun           = "openai_assistant_run"
)

// Endpoint is a row of endpoint_table.
type Endpoint struct {
	bun.BaseModel `bun:"table:endpoint_table"`

	ID   int64  `bun:"id,pk"`
	Name string `bun:"endpoint_name,notnull,unique"`
}
