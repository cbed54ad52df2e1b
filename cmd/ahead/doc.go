// Command ahead is the one binary of ahead: the dev server, the production
// server (API and worker together or apart), flow validation and
// simulation, a flow folder started from the built-in experience
// classics, and a client that posts events.
//
//	ahead dev [--flows DIR] [--addr HOST:PORT] [--time-scale N]
//	ahead serve --config ahead.yaml
//	ahead api --config ahead.yaml
//	ahead worker --config ahead.yaml
//	ahead flows validate DIR
//	ahead flows simulate --flows DIR --event FILE [--now RFC3339] [--json]
//	ahead flows init DIR [--classic NAME]... [--force] | --list
//	ahead events send [--url URL] [--token TOKEN] FILE...
//	ahead bench
//	ahead migrate --config ahead.yaml
package main
