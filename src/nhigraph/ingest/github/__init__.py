"""GitHub: REST API listings (``gh api ...``) and GitHub Actions workflow files.

Ids (``<org>`` and ``<repo>`` as GitHub spells them):

==========================================  ==============================================================
``github:<org>``                            the org (System, github_org)
``github:<org>/<repo>``                     a repository (Resource, repo)
``github:<org>/<repo>:secret/<NAME>``       an Actions repository secret (SecretStore, ci_variable);
                                            ``github:<org>:secret/<NAME>`` an org secret,
                                            ``github:<org>/<repo>:env/<env>/secret/<NAME>`` an
                                            environment secret; ``.../variable/<NAME>`` for variables
``<store id>#value``                        the credential kept in that store until a link names it
                                            (see :mod:`nhigraph.ingest.links`)
``github:<org>/<repo>:workflow/<file>``     a workflow (Workflow); ``.../connector`` its deployment
                                            Connector when it reaches another system
``github:<org>:installation/<id>``          a GitHub App installation (Identity, github_app), authenticated
                                            by ``github:app/<slug>:private-key``; its Connector is
                                            ``github:<org>:installation/<id>/connector`` and the app's own
                                            side ``github-app:<slug>`` (System, saas)
``github:<org>/<repo>:deploy-key/<id>``     a deploy key's access (Identity) and ``.../key`` the key
``github:<org>:pat/<id>``                   a fine-grained PAT's access (Identity) and ``.../token`` the
                                            token; ``github:<org>:sso-credential/<id>`` for classic PATs
                                            and SSH keys authorized for SAML SSO
``github:<org>[/<repo>]:hook/<id>``         a webhook (Connector, webhook), ``.../secret`` its secret,
                                            ``web:<host>`` where it delivers (System)
==========================================  ==============================================================
"""

from .rest import FORMAT as REST_FORMAT
from .workflows import FORMAT as WORKFLOW_FORMAT

__all__ = ["REST_FORMAT", "WORKFLOW_FORMAT"]
