from django import forms

from tenancy.services import Signer
from tenancy.validators import validate_phone, validate_single_line


class SignerForm(forms.Form):
    """Who signs the Microsoft Customer Agreement for the organization."""

    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    email = forms.EmailField(label="Email address", max_length=254)
    phone = forms.CharField(
        label="Phone number", max_length=40, required=False, validators=[validate_phone]
    )
    accept = forms.BooleanField(
        label="I have read and accept the agreement",
        error_messages={"required": "Tick the box to accept the agreement."},
    )

    def __init__(self, *args, user=None, **kwargs):
        if user is not None and not kwargs.get("data") and not args:
            kwargs.setdefault(
                "initial",
                {"first_name": user.first_name, "last_name": user.last_name, "email": user.email},
            )
        super().__init__(*args, **kwargs)
        for name, autocomplete in [
            ("first_name", "given-name"),
            ("last_name", "family-name"),
            ("email", "email"),
            ("phone", "tel"),
        ]:
            self.fields[name].widget.attrs["autocomplete"] = autocomplete

    def signer(self) -> Signer:
        data = self.cleaned_data
        return Signer(
            first_name=data["first_name"],
            last_name=data["last_name"],
            email=data["email"],
            phone=data["phone"],
        )


class CompanyProfileForm(forms.Form):
    address_line1 = forms.CharField(label="Address line 1", max_length=200)
    address_line2 = forms.CharField(label="Address line 2", max_length=200, required=False)
    city = forms.CharField(label="City", max_length=100)
    region = forms.CharField(label="State or province", max_length=100, required=False)
    postal_code = forms.CharField(label="Postal code", max_length=20, required=False)
    contact_first_name = forms.CharField(label="Contact first name", max_length=100, required=False)
    contact_last_name = forms.CharField(label="Contact last name", max_length=100, required=False)
    contact_email = forms.EmailField(label="Contact email", max_length=254, required=False)
    contact_phone = forms.CharField(
        label="Contact phone", max_length=40, required=False, validators=[validate_phone]
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.CharField) and not isinstance(field, forms.EmailField):
                field.validators.append(validate_single_line)
