"""What a browser reads when it asks for a page that is not here (404) or in a way the page does not
answer (405): what happened, and the ways on from here. The API answers these as problem+json."""

from __future__ import annotations

HEADINGS = {
    404: "Page not found",
    405: "This page cannot be used that way",
}
EXPLANATIONS = {
    404: ("There is no page at this address. If you typed it, check it. If a message or another website sent "
          "you here, be careful: only the links in the signed policy are official."),
    405: ("This page exists, but not for what your browser asked (for example, a form sent to a page that only "
          "shows information). Go back and use the page's own buttons and links."),
}
STAFF_EXPLANATION = "Staff pages start at the console's start page."
