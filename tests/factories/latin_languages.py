"""Sentences in each of the 16 languages of character set `latin`, full of the letters that set
each apart (ł ż ř ů ø å ő č ...): for the OCR language tests and `bench/ocr_languages.py`.

Keys are Tesseract's language codes; each language has four lines (an invoice line, a pangram or
near-pangram, a plain sentence, an amount).
"""

from __future__ import annotations

SAMPLES: dict[str, list[str]] = {
    "eng": [
        "Invoice number 4711, due within thirty days.",
        "Please quote the reference when paying.",
        "The quick brown fox jumps over the lazy dog.",
        "Total amount payable: 1,240.50 GBP",
    ],
    "deu": [
        "Rechnungsnummer 4711, zahlbar binnen dreißig Tagen.",
        "Größe, Gebühr und Übergabe: Änderungen möglich.",
        "Zwölf Boxkämpfer jagen Viktor quer über den großen Sylter Deich.",
        "Gesamtbetrag: 1.240,50 €",
    ],
    "fra": [
        "Facture numéro 4711, payable sous trente jours.",
        "Le cœur déçu mais l'âme plutôt naïve, Louÿs rêva.",
        "Où êtes-vous allé ? À Noël, près de la forêt.",
        "Montant total à régler : 1 240,50 €",
    ],
    "spa": [
        "Factura número 4711, pagadera en treinta días.",
        "El pingüino Wenceslao hizo kilómetros bajo exhaustiva lluvia.",
        "¿Dónde está el señor Muñoz? ¡Mañana, en Cádiz!",
        "Importe total: 1.240,50 € (IVA incluido)",
    ],
    "slk": [
        "Faktúra číslo 4711, splatná do tridsiatich dní.",
        "Kŕdeľ šťastných ďatľov učí pri ústí Váhu mĺkveho koňa.",
        "Ľudia žijú v malých mestách na juhu.",
        "Celková suma: 1 240,50 € s DPH",
    ],
    "ces": [
        "Faktura číslo 4711, splatná do třiceti dnů.",
        "Příliš žluťoučký kůň úpěl ďábelské ódy.",
        "Řeka teče přes město, kde stojí věž.",
        "Celková částka: 1 240,50 Kč včetně DPH",
    ],
    "pol": [
        "Faktura numer 4711, płatna w ciągu trzydziestu dni.",
        "Zażółć gęślą jaźń, pchnąć w tę łódź jeża.",
        "Źródło świeżej wody leży za miastem.",
        "Łączna kwota: 1 240,50 zł brutto",
    ],
    "ita": [
        "Fattura numero 4711, pagabile entro trenta giorni.",
        "Perché l'università è già chiusa? Così sarà.",
        "Più volte ho visto la città di Forlì.",
        "Importo totale: 1.240,50 € IVA inclusa",
    ],
    "nld": [
        "Factuurnummer 4711, te betalen binnen dertig dagen.",
        "Zweedse ex-VIP, behoorlijk gek op quasi-kunst.",
        "Het café in Zeeuws-Vlaanderen is één keer geopend.",
        "Totaalbedrag: € 1.240,50 inclusief btw",
    ],
    "slv": [
        "Račun številka 4711, plačljiv v tridesetih dneh.",
        "Šerif bo za vajo spet kuhal domače žgance.",
        "Čez cesto je hiša z velikim vrtom.",
        "Skupni znesek: 1.240,50 € z DDV",
    ],
    "hrv": [
        "Račun broj 4711, plativ u roku od trideset dana.",
        "Gojazni đačić s biciklom drži hmelj i finu vatu u džepu nošnje.",
        "Ćevapi su ukusni, a žuta kuća je stara.",
        "Ukupan iznos: 1.240,50 € s PDV-om",
    ],
    "por": [
        "Fatura número 4711, pagável em trinta dias.",
        "À noite, vovô Kowalsky vê o ímã cair no pé do pinguim.",
        "Ação, coração e informação são palavras comuns.",
        "Valor total: 1.240,50 € com IVA",
    ],
    "fin": [
        "Lasku numero 4711, maksettava kolmenkymmenen päivän kuluessa.",
        "Törkylempijävongahdus on hyvä sana.",
        "Hyvää päivää, käykää sisään ystävät.",
        "Yhteensä: 1 240,50 € sis. ALV",
    ],
    "swe": [
        "Fakturanummer 4711, betalas inom trettio dagar.",
        "Flygande bäckasiner söka hwila på mjuka tuvor.",
        "Räksmörgås och öl på en ö i sjön.",
        "Totalt belopp: 1 240,50 kr inkl. moms",
    ],
    "dan": [
        "Fakturanummer 4711, betales inden tredive dage.",
        "Høj bly gom vandt fræk sexquiz på wc.",
        "Søen ligger bag ved gården med de små æbletræer.",
        "Samlet beløb: 1.240,50 kr. inkl. moms",
    ],
    "nor": [
        "Fakturanummer 4711, betales innen tretti dager.",
        "Vår sære Zulu fra badeøya spilte jo whist og quickstep i min taxi.",
        "Blåbærsyltetøy på brødskiva er godt.",
        "Totalt beløp: 1 240,50 kr inkl. mva",
    ],
}
