package mockcentrapay

// webhookState is the webhooks area's state; see MemStore.
type webhookState struct{}

func newWebhookState() webhookState { return webhookState{} }

// Webhooks delivers notifications.
type Webhooks struct{}
