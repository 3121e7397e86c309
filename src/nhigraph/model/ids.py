"""Id conventions shared by every ingester, so the same thing seen in two exports is one node.

Ids are ``<provider>:<scope>:<local name>``. Credentials whose provider key id is globally unique get an
id from the key id alone (no account), so a secret scanner, a CI variable inventory and a credential
report that only share the key id still name the same node; a credential known only by its value gets
an id from its fingerprint.
"""

from __future__ import annotations

import re

from ..secrets import PREFIX

AWS_KEY_ID = re.compile(r"^(AKIA|ASIA|ABIA|ACCA|AROA|AIDA|ANPA|ANVA|APKA|AGPA)[A-Z0-9]{12,}$")


def aws_account(account: str) -> str:
    return f"aws:{account}"


def aws_principal(account: str, kind: str, name: str) -> str:
    """``aws:123456789012:user/ci``, ``...:role/deployer``, ``...:group/admins``."""
    return f"aws:{account}:{kind}/{name}"


def aws_access_key(key_id: str) -> str:
    return f"aws:key:{key_id}"


def secret_by_fingerprint(fp: str) -> str:
    """A credential known only by its value's fingerprint (``sha256:<hex>``)."""
    if not fp.startswith(PREFIX):
        raise ValueError("expected a sha256: fingerprint")
    return f"secret:{fp}"


def credential_for_key_id(key_id: str) -> str | None:
    """The canonical credential id for a provider key id that is globally unique, if recognised."""
    if AWS_KEY_ID.match(key_id) and key_id[:4] in ("AKIA", "ASIA"):
        return aws_access_key(key_id)
    return None


# -- GCP, Azure / Entra ID, Kubernetes, owners (used by nhigraph.ingest.gcp, .azure, .kubernetes) ----------


def gcp_project(project: str) -> str:
    """``gcp:my-project`` (the project id; a project known only by its number is ``gcp:123456789012``)."""
    return f"gcp:{project}"


def gcp_service_account(email: str) -> str:
    """``gcp:sa:deployer@my-project.iam.gserviceaccount.com``: the email is globally unique, and it is the
    only name IAM policy members, key names and GKE annotations share."""
    return f"gcp:sa:{email.strip().lower()}"


def gcp_sa_key(key_id: str) -> str:
    """A service account key by its key id (the last segment of the key's ``name``; a key file's
    ``private_key_id``)."""
    return f"gcp:key:{key_id.strip().lower()}"


def gcp_resource(full_name: str) -> str:
    """A resource by its full resource name: ``//storage.googleapis.com/b`` -> ``gcp:storage.googleapis.com/b``."""
    return "gcp:" + full_name.strip().lstrip("/")


def azure_tenant(tenant_id: str) -> str:
    return f"azure:{tenant_id.strip().lower()}"


def azure_app(app_id: str) -> str:
    """An app registration by its application (client) id."""
    return f"azure:app:{app_id.strip().lower()}"


def azure_service_principal(object_id: str) -> str:
    """A service principal (or managed identity) by its object id, the id assignments and grants name."""
    return f"azure:sp:{object_id.strip().lower()}"


def azure_credential(key_id: str) -> str:
    """A client secret or certificate of an app or service principal by its ``keyId`` (a GUID)."""
    return f"azure:cred:{key_id.strip().lower()}"


def azure_api(resource_sp_id: str) -> str:
    """An API (a resource service principal such as Microsoft Graph) as something permissions reach."""
    return f"azure:api:{resource_sp_id.strip().lower()}"


def k8s_cluster(cluster: str) -> str:
    return f"k8s:{cluster}"


def k8s_namespace(cluster: str, namespace: str) -> str:
    return f"k8s:{cluster}:ns/{namespace}"


def k8s_service_account(cluster: str, namespace: str, name: str) -> str:
    """``k8s:prod-eks:payments/sa/api``."""
    return f"k8s:{cluster}:{namespace}/sa/{name}"


def k8s_secret(cluster: str, namespace: str, name: str) -> str:
    return f"k8s:{cluster}:{namespace}/secret/{name}"


def k8s_token(cluster: str, namespace: str, secret_name: str) -> str:
    """The service account token kept in a ``kubernetes.io/service-account-token`` secret."""
    return f"k8s:{cluster}:{namespace}/token/{secret_name}"


def aws_principal_from_arn(arn: str) -> str | None:
    """``arn:aws:iam::123456789012:role/path/deployer`` -> ``aws:123456789012:role/deployer`` (the name is the
    last path segment, as the AWS ingesters name principals); None for anything but an IAM user or role ARN."""
    m = re.match(r"^arn:aws[a-z-]*:iam::(\d{12}):(role|user)/(?:[^/]+/)*([^/]+)$", arn.strip())
    return aws_principal(m.group(1), m.group(2), m.group(3)) if m else None


def owner_for_email(email: str) -> str:
    """A person known by an email address: ``owner:alice@example.com`` (the convention owner tags follow)."""
    return f"owner:{email.strip().lower()}"
