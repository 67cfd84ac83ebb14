"""Attribution service: touches, leads, exact multi-touch attribution of won deals, the funnel."""

SERVICE = "attribution"
