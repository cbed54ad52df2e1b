package email

import "crypto/tls"

// SetTLSConfig replaces the TLS configuration, so tests can trust a
// throw-away certificate.
func (c *Channel) SetTLSConfig(cfg *tls.Config) { c.tlsConfig = cfg }
