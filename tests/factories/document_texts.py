"""Class-templated document texts (en/de/fr/ja) with random names, amounts and dates."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Literal

Language = Literal["en", "de", "fr", "ja"]
LANGUAGES: tuple[Language, ...] = ("en", "de", "fr", "ja")
DOCUMENT_KINDS: tuple[str, ...] = ("invoice", "payslip", "tax_form", "rental_contract", "bank_statement")
_IDX = {language: column for column, language in enumerate(LANGUAGES)}

# Pools are per language so that a German invoice names German people and places.
_FIRST = {
    "en": ["James", "Mary", "Robert", "Linda", "Michael", "Sarah", "David", "Emily", "Daniel"],
    "de": ["Lukas", "Anna", "Jonas", "Marie", "Felix", "Sophie", "Tobias", "Lena", "Jürgen"],
    "fr": ["Louis", "Camille", "Hugo", "Chloé", "Théo", "Léa", "Mathis", "Inès", "François"],
    "ja": ["健太", "陽子", "大輔", "美咲", "翔太", "由美", "直樹", "恵子", "拓也"],
}
_LAST = {
    "en": ["Smith", "Johnson", "Williams", "Brown", "Miller", "Davis", "Wilson", "Taylor"],
    "de": ["Müller", "Schmidt", "Schneider", "Fischer", "Weber", "Wagner", "Becker", "Hoffmann"],
    "fr": ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Petit", "Durand", "Lefèvre"],
    "ja": ["佐藤", "鈴木", "高橋", "田中", "渡辺", "伊藤", "山本", "中村"],
}
_COMPANY = {
    "en": ["Northwind Traders", "Bluebird Supplies", "Acme Tools", "Summit Logistics"],
    "de": ["Müller Bau", "Schneider Technik", "Nordlicht Handel", "Weber & Söhne"],
    "fr": ["Dupont Conseil", "Lefèvre et Fils", "Atelier Moreau", "Transports Girard"],
    "ja": ["山田商事", "東洋物産", "さくら技研", "青葉システム"],
}
_FORM = {"en": ["Inc.", "LLC", "Ltd."], "de": ["GmbH", "AG", "KG"], "fr": ["SARL", "SAS"], "ja": ["株式会社"]}
_STREET = {
    "en": ["Oak Street", "Maple Avenue", "Pine Road", "Lake Drive", "Elm Street"],
    "de": ["Hauptstraße", "Bahnhofstraße", "Gartenweg", "Lindenallee", "Schulstraße"],
    "fr": ["rue de la Paix", "avenue Victor Hugo", "rue des Lilas", "boulevard Voltaire"],
    "ja": ["西新宿", "梅田", "栄", "天神", "中央"],
}
_CITY = {
    "en": ["Springfield, IL 62704", "Austin, TX 78701", "Denver, CO 80202", "Salem, OR 97301"],
    "de": ["10115 Berlin", "80331 München", "50667 Köln", "20095 Hamburg"],
    "fr": ["75002 Paris", "69001 Lyon", "13001 Marseille", "31000 Toulouse"],
    "ja": ["東京都新宿区", "大阪府大阪市北区", "愛知県名古屋市中区", "福岡県福岡市中央区"],
}
_ITEMS = {
    "en": [
        "Consulting services",
        "Office chairs",
        "Printer toner",
        "Software license",
        "Website maintenance",
        "Delivery fee",
        "Cleaning supplies",
        "Training workshop",
    ],
    "de": [
        "Beratungsleistung",
        "Bürostühle",
        "Druckertoner",
        "Softwarelizenz",
        "Wartung Webseite",
        "Versandkosten",
        "Reinigungsmittel",
        "Schulung",
    ],
    "fr": [
        "Prestation de conseil",
        "Chaises de bureau",
        "Toner d'imprimante",
        "Licence logicielle",
        "Maintenance du site web",
        "Frais de livraison",
        "Produits d'entretien",
        "Atelier de formation",
    ],
    "ja": [
        "コンサルティング業務",
        "事務用椅子",
        "プリンタートナー",
        "ソフトウェアライセンス",
        "ウェブサイト保守",
        "配送料",
        "清掃用品",
        "研修費",
    ],
}
_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "de": [
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ],
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
}

# Labels: one row per label, columns en / de / fr / ja.
_T: dict[str, tuple[str, str, str, str]] = {
    "invoice": ("INVOICE", "RECHNUNG", "FACTURE", "請求書"),
    "invoice_no": ("Invoice number", "Rechnungsnummer", "Numéro de facture", "請求番号"),
    "date": ("Date", "Datum", "Date", "発行日"),
    "due": ("Due date", "Fällig am", "Date d'échéance", "お支払期限"),
    "bill_to": ("Bill to", "Rechnungsempfänger", "Facturé à", "請求先"),
    "qty": ("Qty", "Menge", "Qté", "数量"),
    "subtotal": ("Subtotal", "Zwischensumme", "Sous-total", "小計"),
    "vat": ("Sales tax", "MwSt.", "TVA", "消費税"),
    "total_due": ("Total due", "Gesamtbetrag", "Total à payer", "ご請求金額"),
    "pay_within": (
        "Payment due within 30 days. Thank you for your business.",
        "Zahlbar innerhalb von 30 Tagen ohne Abzug. Vielen Dank für Ihren Auftrag.",
        "Paiement à 30 jours. Merci de votre confiance.",
        "お支払いは30日以内にお願いします。",
    ),
    "payslip": ("EARNINGS STATEMENT", "Gehaltsabrechnung", "BULLETIN DE PAIE", "給与明細書"),
    "employer": ("Employer", "Arbeitgeber", "Employeur", "会社名"),
    "employee": ("Employee", "Mitarbeiter", "Salarié", "氏名"),
    "emp_id": ("Employee ID", "Personalnummer", "Matricule", "社員番号"),
    "period": ("Pay period", "Abrechnungszeitraum", "Période de paie", "支給対象期間"),
    "gross": ("Gross pay", "Bruttogehalt", "Salaire brut", "総支給額"),
    "income_tax": ("Federal income tax", "Lohnsteuer", "Impôt sur le revenu", "所得税"),
    "social": ("Social Security", "Rentenversicherung", "Cotisations vieillesse", "厚生年金保険"),
    "health": ("Medicare", "Krankenversicherung", "Assurance maladie", "健康保険"),
    "net": ("Net pay", "Auszahlungsbetrag", "Net à payer", "差引支給額"),
    "hours": ("Regular hours", "Arbeitsstunden", "Heures travaillées", "勤務時間"),
    "tax_form": (
        "Form W-9 Request for Taxpayer Identification Number",
        "Fragebogen zur steuerlichen Erfassung",
        "Formulaire 2042 Déclaration des revenus",
        "給与所得者の扶養控除等申告書",
    ),
    "tax_name": (
        "Name as shown on your income tax return",
        "Name, Vorname",
        "Nom et prénoms du déclarant",
        "あなたの氏名",
    ),
    "tax_class": ("Federal tax classification", "Art der Tätigkeit", "Situation du foyer", "世帯主の氏名"),
    "tax_id": ("Social security number", "Steuer-Identifikationsnummer", "Numéro fiscal", "個人番号"),
    "tax_addr": (
        "Address (number, street, and apt. or suite no.)",
        "Anschrift",
        "Adresse au 1er janvier",
        "住所",
    ),
    "tax_cert": (
        "Under penalties of perjury, I certify that the number shown is correct.",
        "Ich versichere, die Angaben nach bestem Wissen gemacht zu haben.",
        "Je certifie l'exactitude des renseignements portés sur cette déclaration.",
        "上記のとおり申告します。",
    ),
    "signature": ("Signature of U.S. person", "Unterschrift", "Signature", "署名"),
    "lease": (
        "RESIDENTIAL LEASE AGREEMENT",
        "MIETVERTRAG FÜR WOHNRAUM",
        "CONTRAT DE LOCATION",
        "建物賃貸借契約書",
    ),
    "landlord": ("Landlord", "Vermieter", "Bailleur", "貸主"),
    "signed": ("Signed by the Tenant", "Unterschrift Mieter", "Signature du locataire", "借主署名"),
    "tenant": ("Tenant", "Mieter", "Locataire", "借主"),
    "premises": ("Premises", "Mietobjekt", "Logement", "物件所在地"),
    "term": ("Lease term begins", "Mietbeginn", "Date de prise d'effet", "契約開始日"),
    "rent": ("Monthly rent", "Monatliche Kaltmiete", "Loyer mensuel", "月額賃料"),
    "deposit": ("Security deposit", "Kaution", "Dépôt de garantie", "敷金"),
    "notice": (
        "Either party may terminate with 60 days written notice.",
        "Die Kündigungsfrist beträgt drei Monate zum Monatsende.",
        "Le locataire peut donner congé avec un préavis de trois mois.",
        "解約は2か月前までに書面で通知するものとする。",
    ),
    "pets": (
        "No pets are allowed without the written consent of the Landlord.",
        "Haustiere bedürfen der schriftlichen Zustimmung des Vermieters.",
        "Les animaux sont autorisés sous réserve de l'accord du bailleur.",
        "ペットの飼育は貸主の書面による承諾を要する。",
    ),
    "utilities": (
        "Tenant pays electricity, gas and internet.",
        "Nebenkosten werden monatlich vorausgezahlt.",
        "Les charges sont payées par provision mensuelle.",
        "光熱費は借主の負担とする。",
    ),
    "statement": ("ACCOUNT STATEMENT", "KONTOAUSZUG", "RELEVÉ DE COMPTE", "取引明細書"),
    "holder": ("Account holder", "Kontoinhaber", "Titulaire du compte", "口座名義"),
    "account": ("Account number", "IBAN", "IBAN", "口座番号"),
    "opening": ("Opening balance", "Alter Kontostand", "Solde précédent", "前回残高"),
    "closing": ("Closing balance", "Neuer Kontostand", "Nouveau solde", "今回残高"),
    "tx": ("Card payment", "Kartenzahlung", "Paiement par carte", "カード利用"),
    "transfer": ("Transfer from", "Überweisung von", "Virement de", "振込"),
}


def _t(key: str, lang: Language) -> str:
    """Label ``key`` in ``lang``."""
    return _T[key][_IDX[lang]]


def _person(rng: random.Random, lang: Language) -> str:
    """A random full name in the language's usual order."""
    first, last = rng.choice(_FIRST[lang]), rng.choice(_LAST[lang])
    return f"{last} {first}" if lang == "ja" else f"{first} {last}"


def _company(rng: random.Random, lang: Language) -> str:
    """A random company name with a local legal form."""
    name, form = rng.choice(_COMPANY[lang]), rng.choice(_FORM[lang])
    return f"{form}{name}" if lang == "ja" else f"{name} {form}"


def _address(rng: random.Random, lang: Language) -> str:
    """A random postal address on one line."""
    number, street, city = rng.randint(1, 199), rng.choice(_STREET[lang]), rng.choice(_CITY[lang])
    if lang in ("en", "fr"):
        return f"{number} {street}, {city}"
    if lang == "de":
        return f"{street} {number}, {city}"
    return f"{city}{street}{rng.randint(1, 9)}-{rng.randint(1, 30)}-{rng.randint(1, 20)}"


def _money(amount: float, lang: Language) -> str:
    """``amount`` (in euro/dollar units; yen x100) formatted the local way."""
    if lang == "ja":
        return f"¥{round(amount * 100):,}"
    text = f"{amount:,.2f}"
    if lang == "en":
        return f"${text}"
    return text.replace(",", "_").replace(".", ",").replace("_", "." if lang == "de" else " ") + " €"


def _date(day: dt.date, lang: Language) -> str:
    """``day`` formatted the local way."""
    if lang in ("de", "fr"):
        return day.strftime("%d.%m.%Y" if lang == "de" else "%d/%m/%Y")
    if lang == "en":
        return f"{_MONTHS['en'][day.month - 1]} {day.day}, {day.year}"
    return f"{day.year}年{day.month}月{day.day}日"


def _month(day: dt.date, lang: Language) -> str:
    """Month and year of ``day``."""
    if lang == "ja":
        return f"{day.year}年{day.month}月"
    return f"{_MONTHS[lang][day.month - 1]} {day.year}"


def _random_date(rng: random.Random) -> dt.date:
    """A date in 2023-2025."""
    return dt.date(2023, 1, 1) + dt.timedelta(days=rng.randint(0, 3 * 365))


def _invoice(rng: random.Random, lang: Language) -> list[str]:
    """Lines of an invoice."""
    issued = _random_date(rng)
    lines = [
        _company(rng, lang),
        _address(rng, lang),
        _t("invoice", lang),
        f"{_t('invoice_no', lang)}: {rng.choice('ABCR')}-{rng.randint(10000, 99999)}",
        f"{_t('date', lang)}: {_date(issued, lang)}",
        f"{_t('due', lang)}: {_date(issued + dt.timedelta(days=30), lang)}",
        f"{_t('bill_to', lang)}: {_person(rng, lang)}",
        _address(rng, lang),
    ]
    subtotal = 0.0
    for item in rng.sample(_ITEMS[lang], rng.randint(2, 5)):
        qty, price = rng.randint(1, 12), rng.randint(500, 90000) / 100
        subtotal += qty * price
        lines.append(f"{item}  {_t('qty', lang)} {qty} x {_money(price, lang)}  {_money(qty * price, lang)}")
    rate = {"en": 0.08, "de": 0.19, "fr": 0.20, "ja": 0.10}[lang]
    lines += [
        f"{_t('subtotal', lang)}: {_money(subtotal, lang)}",
        f"{_t('vat', lang)} {rate:.0%}: {_money(subtotal * rate, lang)}",
        f"{_t('total_due', lang)}: {_money(subtotal * (1 + rate), lang)}",
        _t("pay_within", lang),
    ]
    return lines


def _payslip(rng: random.Random, lang: Language) -> list[str]:
    """Lines of a payslip."""
    gross = rng.randint(250000, 900000) / 100
    cuts = {
        key: gross * rng.uniform(low, high)
        for key, low, high in (("income_tax", 0.08, 0.22), ("social", 0.06, 0.10), ("health", 0.02, 0.08))
    }
    lines = [
        _t("payslip", lang),
        f"{_t('employer', lang)}: {_company(rng, lang)}",
        _address(rng, lang),
        f"{_t('employee', lang)}: {_person(rng, lang)}",
        f"{_t('emp_id', lang)}: {rng.randint(1000, 99999)}",
        f"{_t('period', lang)}: {_month(_random_date(rng), lang)}",
        f"{_t('hours', lang)}: {rng.choice([160, 168, 173, 176])}",
        f"{_t('gross', lang)}: {_money(gross, lang)}",
    ]
    lines += [f"{_t(key, lang)}: -{_money(value, lang)}" for key, value in cuts.items()]
    lines.append(f"{_t('net', lang)}: {_money(gross - sum(cuts.values()), lang)}")
    return lines


def _tax_form(rng: random.Random, lang: Language) -> list[str]:
    """Lines of a W-9-like tax form."""
    tax_id = {
        "en": f"{rng.randint(100, 899)}-{rng.randint(10, 99)}-{rng.randint(1000, 9999)}",
        "de": f"{rng.randint(10, 99)} {rng.randint(100, 999)} {rng.randint(100, 999)} "
        f"{rng.randint(100, 999)}",
        "fr": f"{rng.randint(10**12, 10**13 - 1)}",
        "ja": f"{rng.randint(1000, 9999)} {rng.randint(1000, 9999)} {rng.randint(1000, 9999)}",
    }
    status = {
        "en": ["Individual/sole proprietor", "C corporation", "Partnership"],
        "de": ["Gewerbebetrieb", "Freiberufliche Tätigkeit", "Land- und Forstwirtschaft"],
        "fr": ["Marié(e)", "Célibataire", "Pacsé(e)"],
        "ja": [_person(rng, lang)],
    }[lang]
    return [
        _t("tax_form", lang),
        f"{_t('tax_name', lang)}: {_person(rng, lang)}",
        f"{_t('tax_class', lang)}: {rng.choice(status)}",
        f"{_t('tax_addr', lang)}: {_address(rng, lang)}",
        f"{_t('tax_id', lang)}: {tax_id[lang]}",
        _t("tax_cert", lang),
        f"{_t('signature', lang)}: {_person(rng, lang)}",
        f"{_t('date', lang)}: {_date(_random_date(rng), lang)}",
    ]


def _rental_contract(rng: random.Random, lang: Language) -> list[str]:
    """Lines of a rental contract."""
    rent = rng.randint(60, 300) * 10
    clauses = [_t("notice", lang), _t("pets", lang), _t("utilities", lang)]
    rng.shuffle(clauses)
    return [
        _t("lease", lang),
        f"{_t('landlord', lang)}: {_person(rng, lang)}",
        f"{_t('tenant', lang)}: {_person(rng, lang)}",
        f"{_t('premises', lang)}: {_address(rng, lang)}",
        f"{_t('term', lang)}: {_date(_random_date(rng), lang)}",
        f"{_t('rent', lang)}: {_money(rent, lang)}",
        f"{_t('deposit', lang)}: {_money(rent * rng.choice([1, 2, 3]), lang)}",
        *clauses,
        f"{_t('signed', lang)}: {_person(rng, lang)}",
    ]


def _bank_statement(rng: random.Random, lang: Language) -> list[str]:
    """Lines of a bank statement."""
    day, balance = _random_date(rng), rng.randint(10000, 900000) / 100
    account = {
        "en": f"{rng.randint(10**9, 10**10 - 1)}",
        "de": f"DE{rng.randint(10, 99)} {rng.randint(10**15, 10**16 - 1)}",
        "fr": f"FR76 {rng.randint(10**15, 10**16 - 1)}",
        "ja": f"普通 {rng.randint(10**6, 10**7 - 1)}",
    }[lang]
    lines = [
        _t("statement", lang),
        _company(rng, lang),
        f"{_t('holder', lang)}: {_person(rng, lang)}",
        f"{_t('account', lang)}: {account}",
        f"{_t('opening', lang)}: {_money(balance, lang)}",
    ]
    for _ in range(rng.randint(3, 7)):
        day += dt.timedelta(days=rng.randint(1, 4))
        if rng.random() < 0.3:
            amount, text = rng.randint(5000, 300000) / 100, f"{_t('transfer', lang)} {_person(rng, lang)}"
        else:
            amount, text = -rng.randint(300, 25000) / 100, f"{_t('tx', lang)} {_company(rng, lang)}"
        balance += amount
        sign = "+" if amount > 0 else "-"
        lines.append(f"{_date(day, lang)}  {text}  {sign}{_money(abs(amount), lang)}")
    lines.append(f"{_t('closing', lang)}: {_money(balance, lang)}")
    return lines


_KINDS: dict[str, Callable[[random.Random, Language], list[str]]] = {
    "invoice": _invoice,
    "payslip": _payslip,
    "tax_form": _tax_form,
    "rental_contract": _rental_contract,
    "bank_statement": _bank_statement,
}


def document_lines(kind: str, rng: random.Random, language: Language = "en") -> list[str]:
    """Random text lines of a ``kind`` document in ``language``.

    :raises ValueError: for an unknown kind or language.
    """
    if kind not in _KINDS:
        raise ValueError(f"unknown document kind {kind!r}; expected one of {DOCUMENT_KINDS}")
    if language not in _IDX:
        raise ValueError(f"unknown language {language!r}; expected one of {LANGUAGES}")
    return _KINDS[kind](rng, language)


def pages_of(kind: str, count: int, rng: random.Random) -> list[str]:
    """A ``kind`` document of ``count`` pages: its head (first six lines) on the first, its other
    lines dealt over the others."""
    lines = document_lines(kind, rng)
    head, rest = lines[:6], lines[6:]
    return ["\n".join(head)] + ["\n".join(rest[n :: count - 1] or rest) for n in range(count - 1)]
