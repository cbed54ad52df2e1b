package email_test

import (
	"context"
	"fmt"
	"time"

	"github.com/aheadhq/ahead/channels"
	"github.com/aheadhq/ahead/channels/email"
)

func ExampleNew() {
	ch, err := email.New(email.Config{
		Host:            "smtp.example.com",
		Username:        "ahead",
		Password:        "secret",
		From:            "Acme <hello@acme.nl>",
		MessageIDDomain: "ahead.example.com",
		Timeout:         20 * time.Second,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(ch.Name())

	// A message without an address fails permanently, before any dialling.
	_, err = ch.Send(context.Background(), &channels.Message{ID: "iv_1"})
	fmt.Println(channels.IsPermanent(err), err)

	_, err = email.New(email.Config{Host: "smtp.example.com", TLS: "starttls"})
	fmt.Println(err)
	// Output:
	// email
	// true email: permanent failure: no contact point
	// smtp.tls: "starttls" is not one of mandatory, opportunistic, none, implicit
	// smtp.from: required
}
