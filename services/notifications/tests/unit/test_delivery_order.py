"""A send's delivery status only moves forward, whatever order the provider's events arrive in."""

from notifications.domain.delivery import DeliveryType, advances


def test_a_late_sent_never_overwrites_delivered_nor_delivered_a_bounce() -> None:
    assert advances(None, DeliveryType.SENT)
    assert advances("sent", DeliveryType.DELIVERED)
    assert not advances("delivered", DeliveryType.SENT)
    assert advances("delivered", DeliveryType.BOUNCED)
    assert not advances("bounced", DeliveryType.DELIVERED)
    assert not advances("complained", DeliveryType.BOUNCED)
