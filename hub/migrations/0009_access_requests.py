from tortoise import migrations
from tortoise.migrations import operations as ops
from hub.models.enums import AccessRequestStatus, EventKind, HistorySubject, LocationLevel, OrganizationType, Role
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('hub', '0008_webhooks')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AccessRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(default=AccessRequestStatus.PENDING, db_index=True, description='PENDING: pending\nAPPROVED: approved\nREFUSED: refused', enum_type=AccessRequestStatus, max_length=10)),
                ('first_name', fields.CharField(max_length=100)),
                ('last_name', fields.CharField(max_length=100)),
                ('email', fields.CharField(db_index=True, max_length=254)),
                ('open_email', fields.CharField(null=True, unique=True, max_length=254)),
                ('phone', fields.CharField(null=True, max_length=30)),
                ('position', fields.CharField(null=True, max_length=150)),
                ('organization', fields.ForeignKeyField('hub.Organization', source_field='organization_id', null=True, db_constraint=True, to_field='id', related_name='access_requests', on_delete=OnDelete.SET_NULL)),
                ('organization_name', fields.CharField(null=True, max_length=200)),
                ('organization_type', fields.CharEnumField(null=True, description='PREFECTURE: prefecture\nDDETS: ddets\nPOLICE: police\nEDUCATION: education\nHEALTH_AGENCY: health_agency\nCOMMUNE: commune\nEPCI: epci\nDEPARTEMENT: departement\nREGION: region\nASSOCIATION: association\nMINISTRY: ministry\nNATIONAL_AGENCY: national_agency\nNATIONAL_DELEGATION: national_delegation\nRESEARCH: research\nCOMPANY: company', enum_type=OrganizationType, max_length=30)),
                ('location_level', fields.CharEnumField(description='NATION: nation\nREGION: region\nDEPARTEMENT: departement\nEPCI: epci\nCOMMUNE: commune', enum_type=LocationLevel, max_length=12)),
                ('location_code', fields.CharField(null=True, max_length=9)),
                ('region_code', fields.CharField(null=True, max_length=3)),
                ('departement_code', fields.CharField(null=True, db_index=True, max_length=3)),
                ('epci_code', fields.CharField(null=True, max_length=9)),
                ('commune_scope_code', fields.CharField(null=True, max_length=5)),
                ('role', fields.CharEnumField(null=True, description='NATIONAL_ADMIN: national_admin\nLOCAL_ADMIN: local_admin\nNATIONAL_ACTOR: national_actor\nCORRESPONDENT: correspondent\nINSTITUTIONAL_PARTNER: institutional_partner\nOPERATOR: operator\nINTERVENER: intervener\nEXTERNAL_OBSERVER: external_observer', enum_type=Role, max_length=30)),
                ('reason', fields.TextField(unique=False)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decided_by', fields.ForeignKeyField('hub.User', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='access_decisions', on_delete=OnDelete.SET_NULL)),
                ('decision_reason', fields.TextField(null=True, unique=False)),
                ('user', fields.ForeignKeyField('hub.User', source_field='user_id', null=True, db_constraint=True, to_field='id', related_name='access_requests', on_delete=OnDelete.SET_NULL)),
            ],
            options={'table': 'access_request', 'app': 'hub', 'pk_attr': 'id'},
            bases=['Model'],
        ),
        ops.AlterField(
            model_name='Event',
            name='kind',
            field=fields.CharEnumField(description='SITE_CREATED: site.created\nSITE_UPDATED: site.updated\nSITE_CLOSED: site.closed\nSITE_REOPENED: site.reopened\nSITE_CONFIRMED: site.confirmed\nSITE_DELETED: site.deleted\nACTOR_DECLARED: actor.declared\nACTOR_UPDATED: actor.updated\nACTOR_WITHDRAWN: actor.withdrawn\nACTION_CREATED: action.created\nACTION_UPDATED: action.updated\nCOMMENT_CREATED: comment.created\nCOMMENT_UPDATED: comment.updated\nCOMMENT_DELETED: comment.deleted\nUSER_INVITED: user.invited\nUSER_ACTIVATED: user.activated\nUSER_DEACTIVATED: user.deactivated\nUSER_CHANGED: user.changed\nPERMISSIONS_CHANGED: permissions.changed\nACCESS_REQUESTED: access.requested\nACCESS_APPROVED: access.approved\nACCESS_REFUSED: access.refused', enum_type=EventKind, max_length=30),
        ),
        ops.AlterField(
            model_name='HistoryEntry',
            name='subject_type',
            field=fields.CharEnumField(description='SITE: site\nACTION: action\nREQUEST: request', enum_type=HistorySubject, max_length=10),
        ),
    ]
