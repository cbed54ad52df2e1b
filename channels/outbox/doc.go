// Package outbox is the development channel: instead of reaching a
// customer it stores the rendered message in Redis, where GET /v1/outbox
// shows it. `ahead dev` routes email, SMS and WhatsApp here, so a flow can
// be watched end to end without any provider account.
package outbox
