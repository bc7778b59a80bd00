package report

import (
	"github.com/arbetsmarknad/outcomes/internal/domain/disclosure"
	"github.com/arbetsmarknad/outcomes/internal/domain/project"
	"github.com/arbetsmarknad/outcomes/internal/domain/quota"
)

// DisclosureVersion names the small-count rule (internal/domain/disclosure).
// disclosure/2 also hides the amounts of a group of 1–4 participants (their wages) with
// a complement, and a cost per X whose X is hidden; disclosure/1 showed every amount.
// disclosure/3 shows "< 5" only for a hidden small count, where disclosure/2 showed it
// for every hidden cell, which was false of a large complement; every other hidden cell
// (a complement, a withheld amount, a share of a hidden count) shows ".."; and the
// bounds those texts give a reader (1–4; 0 or at least 5) are protected against too,
// so that two "< 5" beside a shown total of 8 are hidden with a complement
// (disclosure.System.Pinned).
const DisclosureVersion = "disclosure/3"

// definitions lists, for the report's definitions sheet and page, every rule its figures
// name, in Swedish, with its source.
func definitions(r *Report) []Definition {
	defs := []Definition{
		{Version, "Rapportens uppbyggnad", "Månadsuppföljning per kommun (eller samordningsförbund: summan av medlemskommunerna). " +
			"Alla tabeller är uppdelade på kön där det går; kolumnen Övriga/ej angivet gör att totalen är summan av det som visas.",
			"DOMAIN.md, \"The monthly steering report\"; Uppsala kommuns månadsrapportering till styrgruppen"},
		{project.ProgressVersion, "Utfall mot mål", "Beslut räknas på beslutsdatum, starter på startdatum, deltagare en gång per period, " +
			"avslut till arbete eller studier på slutdatum, anvisningar på anvisningsdatum; från periodens början till och med dagen, aldrig efter periodens slut.",
			"internal/domain/project (Store.Progress)"},
		{quota.Version, "Kvotering", "Kvoten fördelas på förvaltningarna i proportion till antal anställda (största rest-metoden). " +
			"Levererat är insatser med förvaltningen som arbetsplats vars beslut (eller start) ligger i perioden.",
			"Uppsala kommuns kvoteringsförslag godkänt av kommunledningsgruppen; internal/domain/quota"},
		{FlowsVersion, "Flöden", "Beslut på beslutsdatum, påbörjade på startdatum, avslutade på faktiskt slutdatum, anvisningar på anvisningsdatum. " +
			"Arbetsmarknadsanställningar är starter i insatser som katalogen markerar som kommunens egen anställning. Pågående: startad senast och inte avslutad vid månadens sista dag. Räknar insatser, inte personer.",
			"internal/domain/report"},
		{OverdueVersion, "Försenat", "Återkoppling: förfallodagen låg före dagen och återkoppling har inte skickats. " +
			"Uppföljning: pågående insats vars nästa uppföljningsmöte skulle ha hållits före dagen.",
			"internal/domain/referral, internal/domain/actionplan"},
		{DisclosureVersion, "Röjandeskydd", disclosure.HiddenRule + ": en cell som visas som \"" + disclosure.HiddenText + "\" kan vara vilket antal som helst utom 1–4. " +
			"Cellerna döljs så att inget dolt litet antal kan räknas fram ur visade summor, rader, kolumner eller månader mot hittills i år, " +
			"inte heller med hjälp av att ett antal som visas som \"" + disclosure.SmallText + "\" är 1–4. " +
			"En andel döljs när täljaren eller nämnaren är dold. " +
			"Belopp för en grupp med 1–4 deltagare döljs, liksom belopp som skulle röja dem ur totalen, och en kostnad per enhet när antalet enheter är dolt.",
			"SCB:s praxis för primär och sekundär röjandekontroll; internal/domain/disclosure"},
	}
	seen := map[string]bool{}
	for _, d := range defs {
		seen[d.Version] = true
	}
	for _, c := range r.Cells() {
		if c.Version != "" && !seen[c.Version] {
			seen[c.Version] = true
			defs = append(defs, Definition{c.Version, "Utfallsdefinition", outcomeText(c.Version), "warehouse/outcomes, warehouse/analytics (docs/INDICATORS.md)"})
		}
	}
	return defs
}

func outcomeText(version string) string {
	switch {
	case len(version) >= 19 && version[:19] == "in-work-or-studies/":
		return "I arbete eller studier: osubventionerat arbete (heltid eller deltid) eller studier i kalendermånaden avslutsmånaden + k. " +
			"Räknar avslut vars månad + k har börjat; andelen av kända utfall."
	case len(version) >= 6 && version[:6] == "costs/":
		return "Kostnader: nettokostnad (lön, handledning och övrigt minus erhållet lönebidrag) för insatser som avslutades under perioden; " +
			"avslutad insats: avslutsorsak annan än avbrott; fast förankring enligt lagrets definition."
	case len(version) >= 8 && version[:8] == "lasting/":
		return "Fast förankring: i osubventionerat arbete eller studier och utan försörjningsstöd både 6 och 12 månader efter avslutsmånaden."
	}
	return version
}
