package templates_test

import (
	"fmt"
	"log"

	"github.com/aheadhq/ahead/flows"
	"github.com/aheadhq/ahead/templates"
)

func Example() {
	// testdata/example/templates holds welcome.email.nl.informal.tmpl,
	// welcome.email.nl.formal.tmpl and welcome.email.en.tmpl.
	set, err := templates.Load("testdata/example/templates")
	if err != nil {
		log.Fatal(err)
	}
	anna := &flows.Customer{Name: "Anna", Locale: "nl", Formality: "formal"}
	r, err := set.Render("welcome", "email", anna.Locale, anna.Formality, "nl", templates.Data{Customer: anna})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s.%s: %s\n%s\n", r.Locale, r.Formality, r.Subject, r.Text)

	// There is no German text: a German customer gets the default locale.
	r, err = set.Render("welcome", "email", "de", "informal", "nl", templates.Data{Customer: anna})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%s.%s: %s\n", r.Locale, r.Formality, r.Text)
	// Output:
	// nl.formal: Welkom, Anna
	// Beste Anna, fijn dat u er bent.
	// nl.informal: Hoi Anna, fijn dat je er bent.
}

func ExampleSet_Check() {
	set, err := templates.Load("testdata/fields/templates")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(set.Check("typo", "sms"))
	fmt.Println(set.Check("typo", "whatsapp"))
	// Output:
	// <nil>
	// template "typo" has no variant for channel "whatsapp" (want templates/typo.whatsapp.LOCALE.tmpl)
}
